import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyStore, keysDirOf, type DataKey, type MasterKey } from '../crypt/index.js';
import { KeyUnavailableError } from '../lib/index.js';
import { codecOf, EnvelopeCodec, PLAIN_CODEC, useStoreCodec, type FileCodec } from './codec.js';
import { KIND_FOLDERS } from './layout.js';

/** The data key every encrypted store has from its start: its presence marks the store encrypted. */
export const STORE_KEY_ID = 'store';
/** The data key of the run index (an encrypted SQLite database). */
export const INDEX_KEY_ID = 'index';

// Folders that hold run content in a plaintext store.
const CONTENT_FOLDERS = [...Object.values(KIND_FOLDERS), '.archive', '.index', '.uploads', '.wal', 'untraced'];

/** What a store is being converted to. */
export type ConversionTarget = 'encrypted' | 'plaintext';

/** The record of a conversion under way, at the runs dir's top: stores are refused until it ends. */
export const CONVERSION_FILE = '.store-conversion';

/** The conversion under way in `runsDir` (cut short by a crash), or null. */
export function pendingConversion(runsDir: string): ConversionTarget | null {
  const file = join(runsDir, CONVERSION_FILE);
  if (!existsSync(file)) return null;
  return (JSON.parse(readFileSync(file, 'utf8')) as { to: ConversionTarget }).to;
}

/** Whether the store at `runsDir` is encrypted (it has a key store with its store key). */
export function isEncryptedStore(runsDir: string): boolean {
  return existsSync(join(keysDirOf(runsDir), `${STORE_KEY_ID}.key`));
}

/** Whether the store at `runsDir` holds anything (runs, archives, an index, a log). */
export function hasStoreContent(runsDir: string): boolean {
  return CONTENT_FOLDERS.some((folder) => {
    try {
      return readdirSync(join(runsDir, folder)).length > 0;
    } catch {
      return false;
    }
  });
}

/**
 * Opens the store at `runsDir` for this thread as the configuration says: encrypted with
 * `master`, or plaintext when it is null. Refuses with one sentence
 * ({@link KeyUnavailableError}) when the store does not match the setting (naming
 * `paracle keys encrypt-store` / `decrypt-store`) or the key does not open it. A new, empty
 * store with encryption on becomes an encrypted store here. Returns the codec now in use.
 */
export function openStoreEncryption(runsDir: string, master: MasterKey | null): FileCodec {
  const pending = pendingConversion(runsDir);
  if (pending !== null) {
    throw new KeyUnavailableError(
      `a conversion of the runs dir ${runsDir} to ${pending} was interrupted: run \`paracle keys ${pending === 'encrypted' ? 'encrypt' : 'decrypt'}-store\` again to finish it`,
    );
  }
  const encrypted = isEncryptedStore(runsDir);
  if (master === null) {
    if (encrypted) {
      throw new KeyUnavailableError(
        `the runs dir ${runsDir} holds an encrypted store but privacy.encryption.enabled is false: enable it with the store's key, or run \`paracle keys decrypt-store\``,
      );
    }
    useStoreCodec(runsDir, null);
    return PLAIN_CODEC;
  }
  if (!encrypted && hasStoreContent(runsDir)) {
    throw new KeyUnavailableError(
      `the runs dir ${runsDir} holds a plaintext store but privacy.encryption.enabled is true: convert it with \`paracle keys encrypt-store\` first`,
    );
  }
  const keys = new KeyStore(keysDirOf(runsDir), master);
  // Unwrapping the store key proves the master key opens this store.
  keys.getOrCreate(STORE_KEY_ID);
  const codec = new EnvelopeCodec(runsDir, keys);
  useStoreCodec(runsDir, codec);
  return codec;
}

/** The data key of the run index of `runsDir`, or null when its store is plaintext. */
export function indexKeyOf(runsDir: string): DataKey | null {
  const codec = codecOf(join(runsDir, '.index', 'x'));
  return codec instanceof EnvelopeCodec ? codec.keys.getOrCreate(INDEX_KEY_ID) : null;
}

/**
 * Uses the encrypted store at `runsDir` with `master` in this thread, without the checks of
 * {@link openStoreEncryption} (done once by the process that started the thread): the
 * run-store workers. `written` is told of each new data key file, to be synced with the
 * run files it encrypts.
 */
export function attachEncryptedStore(runsDir: string, master: MasterKey, written: (file: string) => void): void {
  useStoreCodec(runsDir, new EnvelopeCodec(runsDir, new KeyStore(keysDirOf(runsDir), master, written)));
}
