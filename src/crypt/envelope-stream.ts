import { Transform, type TransformCallback } from 'node:stream';
import { UnreadableFileError } from '../lib/index.js';
import { newHeader, openChunk, parseHeader, sealChunk, TAG_BYTES, type DataKey, type EnvelopeHeader } from './envelope.js';

/**
 * Encrypts a stream into the envelope format ({@link encrypt} chunk for chunk), holding at
 * most one chunk: for uploads and archives that must not be loaded whole.
 */
export class EncryptStream extends Transform {
  private readonly header: EnvelopeHeader;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(private readonly key: DataKey) {
    super();
    this.header = newHeader(key.id);
    this.push(this.header.raw);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const size = this.header.chunkBytes;
    // Keep at least one byte back: only flush knows which chunk is the last.
    if (this.pendingBytes > size) {
      let data = Buffer.concat(this.pending);
      while (data.length > size) {
        this.push(sealChunk(this.key, this.header, this.index++, false, data.subarray(0, size)));
        data = data.subarray(size);
      }
      this.pending = [data];
      this.pendingBytes = data.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(sealChunk(this.key, this.header, this.index, true, Buffer.concat(this.pending)));
    done();
  }
}

/**
 * Decrypts an envelope stream; `keyFor` gives the data key its header names. Emits only
 * authenticated bytes; fails with {@link UnreadableFileError} naming `file` on any damage,
 * including a stream cut short.
 */
export class DecryptStream extends Transform {
  private header: EnvelopeHeader | null = null;
  private key: DataKey | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private index = 0;

  constructor(
    private readonly keyFor: (keyId: string) => DataKey,
    private readonly file: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      if (!this.readHeader()) return done();
      const sealed = this.header!.chunkBytes + TAG_BYTES;
      // A chunk is surely not the last while more bytes follow it.
      while (this.buffered.length > sealed) {
        this.push(openChunk(this.key!, this.header!, this.index++, false, this.buffered.subarray(0, sealed), this.file));
        this.buffered = this.buffered.subarray(sealed);
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.readHeader()) throw new UnreadableFileError(this.file, 'it is truncated');
      this.push(openChunk(this.key!, this.header!, this.index, true, this.buffered, this.file));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  /** Parses the header once enough bytes are in; false while they are not. */
  private readHeader(): boolean {
    if (this.header !== null) return true;
    const header = parseHeader(this.buffered, this.file);
    if (header === null) return false;
    this.key = this.keyFor(header.keyId);
    this.header = header;
    this.buffered = this.buffered.subarray(header.raw.length);
    return true;
  }
}
