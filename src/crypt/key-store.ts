import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyUnavailableError, UnreadableFileError } from '../lib/index.js';
import { isKeyId, type DataKey } from './envelope.js';
import { KEY_BYTES, type MasterKey } from './master-key.js';

/** The key store's folder under a runs dir: wrapped data keys, apart from the files they open. */
export const KEYS_DIR = '.keys';
const WRAP_MAGIC = Buffer.from('PRCK', 'latin1');
const WRAP_VERSION = 1;
const MASTER_ID_BYTES = 8;
const WRAPPED_BYTES = WRAP_MAGIC.length + 1 + MASTER_ID_BYTES + 12 + KEY_BYTES + 16;
const SUFFIX = '.key';

/** The folder of the key store of `runsDir`. */
export function keysDirOf(runsDir: string): string {
  return join(runsDir, KEYS_DIR);
}

/** Wraps a data key under `master`: AES-256-GCM, bound to the key's id. */
export function wrapDataKey(master: MasterKey, key: DataKey): Buffer {
  const head = Buffer.concat([WRAP_MAGIC, Buffer.from([WRAP_VERSION]), Buffer.from(master.id, 'hex')]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master.bytes, iv);
  cipher.setAAD(Buffer.concat([head, Buffer.from(key.id, 'latin1')]));
  const sealed = Buffer.concat([cipher.update(key.bytes), cipher.final()]);
  return Buffer.concat([head, iv, sealed, cipher.getAuthTag()]);
}

/** The id of the master key that wrapped `wrapped`; {@link UnreadableFileError} when it is no wrapped key. */
export function wrappingKeyId(wrapped: Buffer, file: string): string {
  if (wrapped.length !== WRAPPED_BYTES || !WRAP_MAGIC.equals(wrapped.subarray(0, 4)) || wrapped[4] !== WRAP_VERSION) {
    throw new UnreadableFileError(file, 'it is not a wrapped data key');
  }
  return wrapped.toString('hex', 5, 5 + MASTER_ID_BYTES);
}

/**
 * Unwraps data key `keyId` with `master`. {@link KeyUnavailableError} when another master
 * key wrapped it; {@link UnreadableFileError} naming `file` when the bytes were changed.
 */
export function unwrapDataKey(master: MasterKey, keyId: string, wrapped: Buffer, file: string): DataKey {
  const wrappedBy = wrappingKeyId(wrapped, file);
  if (wrappedBy !== master.id) {
    throw new KeyUnavailableError(`the encryption key ${master.source} (id ${master.id}) does not open this store: its data keys are wrapped by key id ${wrappedBy}`);
  }
  const head = wrapped.subarray(0, 5 + MASTER_ID_BYTES);
  const iv = wrapped.subarray(head.length, head.length + 12);
  const sealed = wrapped.subarray(head.length + 12, head.length + 12 + KEY_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', master.bytes, iv);
  decipher.setAAD(Buffer.concat([head, Buffer.from(keyId, 'latin1')]));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
  try {
    return { id: keyId, bytes: Buffer.concat([decipher.update(sealed), decipher.final()]) };
  } catch (err) {
    throw new UnreadableFileError(file, 'it fails authentication (a wrapped data key tampered with)', { cause: err });
  }
}

/**
 * The data keys of one store, each wrapped by the master key in its own small file
 * `<runs dir>/.keys/<key id>.key` (0600 in a 0700 folder). Destroying a key's file
 * (crypto-shredding) makes everything it encrypted unreadable, wherever copies are.
 * Synchronous (the run-store worker calls it; the files are tiny) and caching what it
 * unwrapped. One process writes a store at a time (the daemon, or a store-changing command).
 */
export class KeyStore {
  private readonly cache = new Map<string, DataKey>();

  /**
   * @param written when given, a new key file is not synced here but reported, to be
   * synced with the files it encrypts (the run store's batched sync, before the WAL lets
   * go of their data); otherwise each new key file is synced before it is used.
   */
  constructor(
    readonly dir: string,
    readonly master: MasterKey,
    private readonly written?: (file: string, dir: string) => void,
  ) {}

  /** The path of key `keyId`'s file. */
  pathOf(keyId: string): string {
    if (!isKeyId(keyId)) throw new RangeError(`invalid data key id ${JSON.stringify(keyId)}`);
    return join(this.dir, keyId + SUFFIX);
  }

  /** Data key `keyId`, or null when the store has none by that id (never made, or shredded). */
  get(keyId: string): DataKey | null {
    const cached = this.cache.get(keyId);
    if (cached) return cached;
    const file = this.pathOf(keyId);
    let wrapped: Buffer;
    try {
      wrapped = readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const key = unwrapDataKey(this.master, keyId, wrapped, file);
    this.cache.set(keyId, key);
    return key;
  }

  /**
   * Data key `keyId`, made (random, wrapped, its file synced) when the store has none.
   * Its file is durable before this returns, so no file is ever written with a key that
   * a crash could lose.
   */
  getOrCreate(keyId: string): DataKey {
    const existing = this.get(keyId);
    if (existing) return existing;
    const key: DataKey = { id: keyId, bytes: randomBytes(KEY_BYTES) };
    this.put(key, this.master, this.written);
    this.cache.set(keyId, key);
    return key;
  }

  /**
   * Destroys data key `keyId` (its file, synced): whatever it encrypted is unreadable from
   * now on. Returns false when there was no such key.
   */
  destroy(keyId: string): boolean {
    this.cache.delete(keyId);
    const file = this.pathOf(keyId);
    try {
      readFileSync(file);
    } catch {
      return false;
    }
    rmSync(file, { force: true });
    syncDir(this.dir);
    return true;
  }

  /** The ids of every data key in the store. */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.')).map((n) => n.slice(0, -SUFFIX.length)).sort();
  }

  /** The id of the master key that wraps `keyId` now. */
  wrappedBy(keyId: string): string {
    const file = this.pathOf(keyId);
    return wrappingKeyId(readFileSync(file), file);
  }

  /**
   * Re-wraps data key `keyId` from this store's master key to `next` (atomically, synced).
   * Returns false, changing nothing, when `next` wraps it already (a rotation resumed).
   */
  rewrap(keyId: string, next: MasterKey): boolean {
    if (this.wrappedBy(keyId) === next.id) return false;
    const key = this.get(keyId);
    if (key === null) return false;
    this.put(key, next);
    return true;
  }

  private put(key: DataKey, master: MasterKey, written?: (file: string, dir: string) => void): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.pathOf(key.id);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, wrapDataKey(master, key), { mode: 0o600 });
    if (written) {
      renameSync(tmp, file);
      written(file, this.dir);
      return;
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDir(this.dir);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    closeSync(fd);
  }
}
