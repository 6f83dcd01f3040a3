import { resolve, sep } from 'node:path';
import type { Transform } from 'node:stream';
import { decrypt, DecryptStream, encrypt, EncryptStream, type DataKey, type KeyStore } from '../crypt/index.js';
import { UnreadableFileError } from '../lib/index.js';
import { KIND_FOLDERS } from './layout.js';

/**
 * How the bytes of a store's files are kept on disk: as they are (a plaintext store) or in
 * envelopes (an encrypted one). Every read and write of run content goes through the codec
 * of its store ({@link codecOf}); compression, when due, happens before `seal`.
 */
export interface FileCodec {
  readonly encrypted: boolean;
  /** The bytes to store for content `data` of file `path`. */
  seal(path: string, data: string | Uint8Array): string | Uint8Array;
  /** The content of file `path` from its stored bytes; {@link UnreadableFileError} when they do not open. */
  open(path: string, stored: Buffer): Buffer;
  /** A stream turning content into stored bytes; null when they are the same. */
  sealing(path: string): Transform | null;
  /** A stream turning stored bytes into content; null when they are the same. */
  opening(path: string): Transform | null;
}

/** The codec of a plaintext store: bytes stored as they are. */
export const PLAIN_CODEC: FileCodec = {
  encrypted: false,
  seal: (_path, data) => data,
  open: (_path, stored) => stored,
  sealing: () => null,
  opening: () => null,
};

const ROOT_KEY = 'store';
const STAGED_PREFIX = 'upload-';
const RUN_FOLDERS = new Set(Object.values(KIND_FOLDERS));

/**
 * The codec of an encrypted store: each file in an envelope whose data key is its run's
 * (named by the run id; staged uploads by their trace id, anything else by the store's own
 * key), made on first use in the key store and opened from it by the id in the header.
 */
export class EnvelopeCodec implements FileCodec {
  readonly encrypted = true;
  readonly runsDir: string;

  constructor(
    runsDir: string,
    readonly keys: KeyStore,
  ) {
    this.runsDir = resolve(runsDir);
  }

  seal(path: string, data: string | Uint8Array): Uint8Array {
    return encrypt(this.keys.getOrCreate(this.keyIdFor(path)), data);
  }

  open(path: string, stored: Buffer): Buffer {
    return decrypt(stored, (id) => this.keyFor(id, path), path);
  }

  sealing(path: string): Transform {
    return new EncryptStream(this.keys.getOrCreate(this.keyIdFor(path)));
  }

  opening(path: string): Transform {
    return new DecryptStream((id) => this.keyFor(id, path), path);
  }

  /** The data key id a new file at `path` is sealed with. */
  keyIdFor(path: string): string {
    const parts = resolve(path).slice(this.runsDir.length + 1).split(sep);
    if (parts.length > 2 && RUN_FOLDERS.has(parts[0]!)) return parts[1]!;
    if (parts.length > 2 && parts[0] === '.uploads') return STAGED_PREFIX + parts[1]!;
    return ROOT_KEY;
  }

  private keyFor(id: string, path: string): DataKey {
    const key = this.keys.get(id);
    if (key === null) throw new UnreadableFileError(path, `its data key ${id} no longer exists (the run was shredded)`);
    return key;
  }
}

const codecs = new Map<string, FileCodec>();

/**
 * Sets the codec of the store at `runsDir` for this thread (the daemon at start, each
 * run-store worker, a CLI command); null forgets it (plaintext again).
 */
export function useStoreCodec(runsDir: string, codec: FileCodec | null): void {
  if (codec === null) codecs.delete(resolve(runsDir));
  else codecs.set(resolve(runsDir), codec);
}

/** The codec of the store that holds `path`: {@link PLAIN_CODEC} unless one was set. */
export function codecOf(path: string): FileCodec {
  if (codecs.size === 0) return PLAIN_CODEC;
  const full = resolve(path);
  for (const [dir, codec] of codecs) if (full.startsWith(dir + sep)) return codec;
  return PLAIN_CODEC;
}
