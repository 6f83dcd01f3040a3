import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { storeOp } from './errors.js';

/** Size and SHA-256 of one file, streamed. */
export async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  return storeOp('read', path, async () => {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      size += chunk.length;
      hash.update(chunk);
    }
    return { size, sha256: hash.digest('hex') };
  });
}
