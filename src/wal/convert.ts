import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faultPoint, FILE_MODE, syncPath } from '../lib/index.js';
import type { WalCipher } from './cipher.js';
import { encodeRecord, parseSegment } from './record.js';
import { listSegments, segmentName } from './segments.js';

/**
 * Rewrites every segment in `dir` with its records sealed by `cipher` (`to: 'encrypted'`)
 * or opened by it (`'plaintext'`), one segment at a time through a synced temp file renamed
 * over it (fault point `segment-converted`). A segment already in the target form is left
 * alone (its records open with its key, or do not), so a conversion cut short is finished
 * by running it again. A torn tail is dropped, as the daemon's start would. Returns how
 * many segments changed. Only while no daemon writes the log.
 */
export async function convertSegments(dir: string, cipher: WalCipher, to: 'encrypted' | 'plaintext'): Promise<number> {
  let seqs: number[];
  try {
    seqs = await listSegments(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let changed = 0;
  for (const seq of seqs) {
    const file = join(dir, segmentName(seq));
    const { records } = parseSegment(await readFile(file));
    if (records.length === 0 || isSealed(cipher, seq, records[0]!.type, records[0]!.payload, file) === (to === 'encrypted')) continue;
    const converted = records.map((r) =>
      encodeRecord(r.type, to === 'encrypted' ? cipher.seal(seq, r.type, r.payload) : cipher.open(seq, r.type, r.payload, file)),
    );
    const tmp = join(dir, `.${segmentName(seq)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, Buffer.concat(converted), { mode: FILE_MODE });
      await syncPath(tmp);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
    await syncPath(dir);
    if (to === 'plaintext') cipher.forget(seq);
    changed += 1;
    faultPoint('segment-converted');
  }
  return changed;
}

function isSealed(cipher: WalCipher, seq: number, type: number, payload: Uint8Array, file: string): boolean {
  try {
    cipher.open(seq, type, payload, file);
    return true;
  } catch {
    return false;
  }
}
