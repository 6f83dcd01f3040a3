import { openRecord, sealRecord, type KeyStore } from '../crypt/index.js';
import { UnreadableFileError } from '../lib/index.js';

/**
 * Encryption of the log's records (an encrypted store): each segment has its own data key
 * in the store's key store, made with the segment and destroyed when the checkpoint deletes
 * it; each record's payload is sealed (AES-256-GCM) inside the usual framing, so a torn tail
 * is still found by its length and checksum.
 */
export class WalCipher {
  constructor(private readonly keys: KeyStore) {}

  /** The sealed payload of a record of `type` in segment `seq` (its key made on first use). */
  seal(seq: number, type: number, payload: Uint8Array): Buffer {
    return sealRecord(this.keys.getOrCreate(keyIdOf(seq)), aadOf(seq, type), payload);
  }

  /** The payload of a record read back from segment file `file`. */
  open(seq: number, type: number, sealed: Uint8Array, file: string): Buffer {
    const key = this.keys.get(keyIdOf(seq));
    if (key === null) throw new UnreadableFileError(file, `its data key ${keyIdOf(seq)} no longer exists`);
    return openRecord(key, aadOf(seq, type), sealed, file);
  }

  /** Destroys segment `seq`'s key (the segment is gone). */
  forget(seq: number): void {
    this.keys.destroy(keyIdOf(seq));
  }
}

function keyIdOf(seq: number): string {
  return `wal-${seq}`;
}

// A record is bound to its segment and type: moved or retyped, it no longer opens.
function aadOf(seq: number, type: number): Buffer {
  const aad = Buffer.alloc(5);
  aad.writeUInt32BE(seq >>> 0, 0);
  aad.writeUInt8(type, 4);
  return aad;
}
