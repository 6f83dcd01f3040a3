import { createHash } from 'node:crypto';

/** Size and SHA-256 of the bytes of a stream (a file, an archive entry). */
export async function hashChunks(chunks: AsyncIterable<Buffer>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { size, sha256: hash.digest('hex') };
}
