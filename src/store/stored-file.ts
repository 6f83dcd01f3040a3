import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { parseHeader, plainLength } from '../crypt/index.js';
import { UnreadableFileError, writeFileAtomic } from '../lib/index.js';
import { codecOf } from './codec.js';
import { hashChunks } from './file-hash.js';
import { errnoOf, storeOp } from './errors.js';

/** The content of a store file (decrypted when its store is encrypted). */
export function readStored(path: string): Promise<Buffer> {
  return storeOp('read', path, async () => codecOf(path).open(path, await readFile(path)));
}

/** The content of a store file as UTF-8. */
export async function readStoredText(path: string): Promise<string> {
  return (await readStored(path)).toString('utf8');
}

/** The content of a store file as UTF-8, or null when it does not exist. */
export function readStoredTextIfExists(path: string): Promise<string | null> {
  return storeOp('read', path, async () => {
    try {
      return codecOf(path).open(path, await readFile(path)).toString('utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
      throw err;
    }
  });
}

/**
 * A stream of a store file's content: decrypted chunk by chunk when its store is encrypted
 * (never more than one chunk in memory), a damaged file failing the stream.
 */
export function openStored(path: string): Readable {
  const opening = codecOf(path).opening(path);
  const raw = createReadStream(path);
  if (opening === null) return raw;
  raw.on('error', (err) => opening.destroy(err));
  return raw.pipe(opening);
}

/** The content size of a store file whose stored size is `storedSize`. */
export async function contentSize(path: string, storedSize: number): Promise<number> {
  if (!codecOf(path).encrypted) return storedSize;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(storedSize, 300));
    await handle.read(head, 0, head.length, 0);
    const header = parseHeader(head, path);
    if (header === null) throw new UnreadableFileError(path, 'it is truncated');
    return plainLength(storedSize, header);
  } finally {
    await handle.close();
  }
}

/** Replaces a store file atomically with `content` (sealed when its store is encrypted). */
export function writeStoredAtomic(path: string, content: string | Uint8Array): Promise<void> {
  return storeOp('write', path, () => writeFileAtomic(path, codecOf(path).seal(path, content)));
}

/** Size and SHA-256 of a store file's content (decrypted), streamed. */
export function hashStoredContent(path: string): Promise<{ size: number; sha256: string }> {
  return storeOp('read', path, () => hashChunks(openStored(path)));
}

/** The stream that seals content for `path`, as a list (empty when stored bytes are the content). */
export function sealingOf(path: string): Transform[] {
  const sealing = codecOf(path).sealing(path);
  return sealing === null ? [] : [sealing];
}
