import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunLogLine } from '../model/index.js';
import { storeOp } from './errors.js';
import { renderLogs, splitLines } from './logs-format.js';
import { FILE_MODE, makeDirectory } from '../lib/index.js';

/** The folder under the runs dir for log records that belong to no trace. */
export const UNTRACED_FOLDER = 'untraced';

/**
 * Appends log lines that belong to no run to `<runsDir>/untraced/YYYY-MM-DD.log`, the UTC day
 * of each line's own time, in the `logs.txt` line format (a batch oldest first). Each file
 * gets one append per call, so a reader never sees half a line. Callers must not append
 * concurrently. Throws {@link StoreError} when the file system fails.
 */
export async function appendUntracedLogs(runsDir: string, lines: readonly RunLogLine[]): Promise<void> {
  const byDay = new Map<string, string[]>();
  for (const line of splitLines(renderLogs(lines))) {
    // A line starts with its ISO-8601 time, whose first ten characters are the date.
    const day = line.slice(0, 10);
    const dayLines = byDay.get(day);
    if (dayLines) dayLines.push(line);
    else byDay.set(day, [line]);
  }
  const dir = join(runsDir, UNTRACED_FOLDER);
  for (const [day, dayLines] of byDay) {
    const path = join(dir, `${day}.log`);
    await storeOp('mkdir', dir, () => makeDirectory(dir));
    await storeOp('write', path, () => appendFile(path, `${dayLines.join('\n')}\n`, { mode: FILE_MODE }));
  }
}
