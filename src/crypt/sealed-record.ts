import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { UnreadableFileError } from '../lib/index.js';
import { TAG_BYTES, type DataKey } from './envelope.js';

const NONCE_BYTES = 12;

/** Bytes a sealed record adds to its payload (nonce and tag). */
export const RECORD_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * Seals one record of an append-only file (a WAL segment): AES-256-GCM with a random nonce,
 * `aad` authenticated with it. The file's own framing (length, checksum) still finds a torn
 * tail; this makes each record unreadable without its key and any change to it an error.
 */
export function sealRecord(key: DataKey, aad: Uint8Array, payload: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
}

/** Opens a record sealed by {@link sealRecord}; {@link UnreadableFileError} naming `file` when it fails. */
export function openRecord(key: DataKey, aad: Uint8Array, sealed: Uint8Array, file: string): Buffer {
  if (sealed.length < RECORD_OVERHEAD) throw new UnreadableFileError(file, 'a sealed record is cut short');
  const decipher = createDecipheriv('aes-256-gcm', key.bytes, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([plain, decipher.final()]);
  } catch (err) {
    throw new UnreadableFileError(file, 'a record fails authentication (tampered with, or not encrypted with this key)', { cause: err });
  }
}
