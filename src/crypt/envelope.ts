import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { UnreadableFileError } from '../lib/index.js';

/**
 * The envelope of an encrypted file (format version 1): a header, then the content in
 * AES-256-GCM chunks (the STREAM construction: each chunk's nonce is the file's random
 * prefix, the chunk's index and a last-chunk flag, and every chunk authenticates the whole
 * header). A flipped byte anywhere, a chunk moved, dropped or added, or a file cut at any
 * point fails authentication: a reader gets an error naming the file, never garbage.
 *
 * ```
 * "PRCE"  version(1)  chunk exponent(1)  key id length(1)  key id(ASCII)  nonce prefix(7)
 * chunk 0: ciphertext(2^exp bytes) tag(16)  ...  last chunk: ciphertext(0..2^exp) tag(16)
 * ```
 */
export const ENVELOPE_MAGIC = Buffer.from('PRCE', 'latin1');
export const ENVELOPE_VERSION = 1;
/** 64 KiB chunks: a stream holds at most one in memory. */
export const DEFAULT_CHUNK_EXPONENT = 16;
export const TAG_BYTES = 16;
const PREFIX_BYTES = 7;
const MIN_EXPONENT = 10;
const MAX_EXPONENT = 24;
const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A data key: what encrypts one run's files (or one WAL segment, or the index). */
export interface DataKey {
  /** The name of the key in the key store, written in the header of every file it encrypts. */
  readonly id: string;
  readonly bytes: Buffer;
}

/** A parsed envelope header. */
export interface EnvelopeHeader {
  keyId: string;
  chunkBytes: number;
  prefix: Buffer;
  /** The header's bytes: the additional authenticated data of every chunk. */
  raw: Buffer;
}

/** True when `id` may name a data key (it is a file name in the key store). */
export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/** True when `data` starts like an envelope (the magic); says nothing of whether it decrypts. */
export function looksEncrypted(data: Uint8Array): boolean {
  return data.length >= ENVELOPE_MAGIC.length && ENVELOPE_MAGIC.equals(data.subarray(0, ENVELOPE_MAGIC.length));
}

/** A new header for `keyId` with a fresh random nonce prefix. */
export function newHeader(keyId: string, exponent = DEFAULT_CHUNK_EXPONENT): EnvelopeHeader {
  if (!isKeyId(keyId)) throw new RangeError(`invalid data key id ${JSON.stringify(keyId)}`);
  const id = Buffer.from(keyId, 'latin1');
  const prefix = randomBytes(PREFIX_BYTES);
  const raw = Buffer.concat([ENVELOPE_MAGIC, Buffer.from([ENVELOPE_VERSION, exponent, id.length]), id, prefix]);
  return { keyId, chunkBytes: 2 ** exponent, prefix, raw };
}

/**
 * Parses the header at the start of `data`. Returns null when `data` is too short to hold
 * the whole header yet (a stream reads on); throws {@link UnreadableFileError} naming
 * `file` when the bytes are not an envelope of a version this build reads.
 */
export function parseHeader(data: Uint8Array, file: string): EnvelopeHeader | null {
  if (data.length < ENVELOPE_MAGIC.length + 3) return null;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!looksEncrypted(buf)) throw new UnreadableFileError(file, 'it is not encrypted (no envelope header)');
  const version = buf[4]!;
  const exponent = buf[5]!;
  const idLength = buf[6]!;
  if (version !== ENVELOPE_VERSION) throw new UnreadableFileError(file, `its envelope version ${version} is not one this build reads`);
  if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT) throw new UnreadableFileError(file, 'its envelope header is corrupt');
  const end = 7 + idLength + PREFIX_BYTES;
  if (buf.length < end) return null;
  const keyId = buf.toString('latin1', 7, 7 + idLength);
  if (!isKeyId(keyId)) throw new UnreadableFileError(file, 'its envelope header is corrupt');
  const raw = Buffer.from(buf.subarray(0, end));
  return { keyId, chunkBytes: 2 ** exponent, prefix: raw.subarray(7 + idLength), raw };
}

/** The key id in the header of `data` (an encrypted file); {@link UnreadableFileError} when none. */
export function keyIdOf(data: Uint8Array, file: string): string {
  const header = parseHeader(data, file);
  if (header === null) throw new UnreadableFileError(file, 'it is truncated');
  return header.keyId;
}

function nonce(header: EnvelopeHeader, index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  header.prefix.copy(n, 0);
  n.writeUInt32BE(index, PREFIX_BYTES);
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts one chunk (`last`: the file's final chunk): ciphertext then tag. */
export function sealChunk(key: DataKey, header: EnvelopeHeader, index: number, last: boolean, plain: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce(header, index, last));
  cipher.setAAD(header.raw);
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts one chunk (ciphertext then tag); {@link UnreadableFileError} naming `file` when it fails. */
export function openChunk(key: DataKey, header: EnvelopeHeader, index: number, last: boolean, sealed: Uint8Array, file: string): Buffer {
  if (sealed.length < TAG_BYTES) throw new UnreadableFileError(file, 'it is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, nonce(header, index, last));
  decipher.setAAD(header.raw);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([plain, decipher.final()]);
  } catch (err) {
    throw new UnreadableFileError(file, 'it fails authentication (tampered with, truncated or not encrypted with this key)', { cause: err });
  }
}

/** Encrypts a whole file's content at once (the worker's writes). */
export function encrypt(key: DataKey, plain: string | Uint8Array, exponent = DEFAULT_CHUNK_EXPONENT): Buffer {
  const data = typeof plain === 'string' ? Buffer.from(plain) : plain;
  const header = newHeader(key.id, exponent);
  const parts: Buffer[] = [header.raw];
  const size = header.chunkBytes;
  const chunks = Math.max(1, Math.ceil(data.length / size));
  for (let i = 0; i < chunks; i++) {
    parts.push(sealChunk(key, header, i, i === chunks - 1, data.subarray(i * size, (i + 1) * size)));
  }
  return Buffer.concat(parts);
}

/**
 * Decrypts a whole file's content. `keyFor` gives the data key the header names (and
 * throws when it cannot). {@link UnreadableFileError} naming `file` for any damage.
 */
export function decrypt(data: Uint8Array, keyFor: (keyId: string) => DataKey, file: string): Buffer {
  const header = parseHeader(data, file);
  if (header === null) throw new UnreadableFileError(file, 'it is truncated');
  const key = keyFor(header.keyId);
  const sealedSize = header.chunkBytes + TAG_BYTES;
  const body = data.subarray(header.raw.length);
  const chunks = Math.max(1, Math.ceil(body.length / sealedSize));
  const parts: Buffer[] = [];
  for (let i = 0; i < chunks; i++) {
    parts.push(openChunk(key, header, i, i === chunks - 1, body.subarray(i * sealedSize, (i + 1) * sealedSize), file));
  }
  return Buffer.concat(parts);
}

/** The content length of an envelope of `storedBytes` with `header` (read from its start). */
export function plainLength(storedBytes: number, header: EnvelopeHeader): number {
  const body = storedBytes - header.raw.length;
  const chunks = Math.max(1, Math.ceil(body / (header.chunkBytes + TAG_BYTES)));
  return Math.max(0, body - chunks * TAG_BYTES);
}
