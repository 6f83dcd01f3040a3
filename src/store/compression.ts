import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { faultPoint, FILE_MODE, syncPath } from '../lib/index.js';
import { CorruptRunFileError, storeOp } from './errors.js';
import { contentSize, hashStoredContent, openStored, sealingOf, writeStoredAtomic, readStoredTextIfExists as readTextIfExists } from './stored-file.js';

/** The record of a run's compressed files, in the run directory (hidden, so never listed). */
export const COMPRESSION_RECORD = '.compressed.json';

/** One file stored gzip-compressed in place. */
export interface CompressedFile {
  /** Size and SHA-256 of the original bytes. */
  bytes: number;
  sha256: string;
  /** Size of the gzip file on disk: a file of another size was rewritten since, and is plain. */
  stored_bytes: number;
}

/** Compressed files by path relative to the run directory. */
export type CompressionRecord = Record<string, CompressedFile>;

/** Parses a compression record's text; {@link CorruptRunFileError} when it is not one. */
export function parseCompressionRecord(text: string, where: string): CompressionRecord {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as CompressionRecord;
  } catch (err) {
    throw new CorruptRunFileError(`the compression record of ${where} is not JSON`, { cause: err });
  }
  throw new CorruptRunFileError(`the compression record of ${where} is not a mapping`);
}

/** The compression record of a live run directory; empty when there is none. */
export async function readCompressionRecord(runDir: string): Promise<CompressionRecord> {
  const text = await readTextIfExists(join(runDir, COMPRESSION_RECORD));
  return text === null ? {} : parseCompressionRecord(text, runDir);
}

/**
 * True when a file of `storedSize` bytes at a recorded path holds the gzip bytes the record
 * describes (a file rewritten since has another size and is read as it is).
 */
export function isStoredCompressed(entry: CompressedFile | undefined, storedSize: number): entry is CompressedFile {
  return entry !== undefined && entry.stored_bytes === storedSize;
}

/**
 * Compresses one file of a run in place, in steps that each leave it readable: the gzip
 * bytes go to a synced temp file (`compressed`), the record is updated (`recorded`: the
 * plain file still has its own size, so it is still read as plain), and the temp file is
 * renamed over the original (`replaced`). Returns null, changing nothing, when gzip would
 * not make the file smaller.
 */
export async function compressRunFile(runDir: string, path: string): Promise<CompressedFile | null> {
  const full = join(runDir, ...path.split('/'));
  const original = await hashStoredContent(full);
  const tmp = join(dirname(full), `.${basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await storeOp('write', tmp, async () => {
      await pipeline([openStored(full), createGzip(), ...sealingOf(full), createWriteStream(tmp, { mode: FILE_MODE })]);
      await syncPath(tmp);
    });
    faultPoint('compressed');
    const storedBytes = await contentSize(tmp, (await storeOp('read', tmp, () => stat(tmp))).size);
    if (storedBytes >= original.size) return null;
    const entry: CompressedFile = { bytes: original.size, sha256: original.sha256, stored_bytes: storedBytes };
    const record = { ...(await readCompressionRecord(runDir)), [path]: entry };
    const recordPath = join(runDir, COMPRESSION_RECORD);
    await writeStoredAtomic(recordPath, `${JSON.stringify(record, null, 2)}\n`);
    faultPoint('recorded');
    await storeOp('rename', full, () => rename(tmp, full));
    faultPoint('replaced');
    return entry;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** `stream` inflated when it holds a recorded compressed file, else as it is. */
export function inflateIfCompressed(stream: Readable, compressed: boolean): Readable {
  if (!compressed) return stream;
  const gunzip = createGunzip();
  stream.on('error', (err) => gunzip.destroy(err));
  return stream.pipe(gunzip);
}
