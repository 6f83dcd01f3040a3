import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalCipher } from './cipher.js';
import { parseSegment } from './record.js';
import { listSegments, segmentName } from './segments.js';

/**
 * Opens every record of every segment in `dir` with `cipher` (`paracle keys check`): the
 * problem of each segment that does not open, none when all do. A torn tail is not one
 * (the daemon cuts it off at start); a record that fails authentication is. No segment is
 * changed.
 */
export async function checkSegments(dir: string, cipher: WalCipher): Promise<{ files: number; problems: { file: string; problem: string }[] }> {
  let seqs: number[];
  try {
    seqs = await listSegments(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { files: 0, problems: [] };
    throw err;
  }
  const problems: { file: string; problem: string }[] = [];
  for (const seq of seqs) {
    const file = join(dir, segmentName(seq));
    try {
      for (const record of parseSegment(await readFile(file)).records) cipher.open(seq, record.type, record.payload, file);
    } catch (err) {
      problems.push({ file, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  return { files: seqs.length, problems };
}
