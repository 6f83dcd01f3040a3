import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';
import { errnoOf, storeOp } from './errors.js';
import { runDirectory } from './layout.js';
import type { RunRef } from './writer.js';

// A marker file rather than a metadata field: the writer rewrites metadata.yaml when late
// spans arrive and would drop the flag; it never deletes other files.
const PIN_FILE = '.pinned';

/** True when the run carries the pin marker: retention must never remove it. */
export async function isPinned(runsDir: string, location: RunRef): Promise<boolean> {
  const path = join(runDirectory(runsDir, location.kind, location.runId), PIN_FILE);
  return storeOp('read', path, async () => {
    try {
      await readFile(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  });
}

/** Pins (`true`) or unpins a run; doing it twice is harmless. */
export async function setPinned(runsDir: string, location: RunRef, pinned: boolean): Promise<void> {
  const path = join(runDirectory(runsDir, location.kind, location.runId), PIN_FILE);
  if (pinned) await storeOp('write', path, () => writeFileAtomic(path, `${new Date().toISOString()}\n`));
  else await storeOp('remove', path, () => rm(path, { force: true }));
}
