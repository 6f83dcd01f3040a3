import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { looksEncrypted, parseHeader, type KeyStore } from '../crypt/index.js';
import { faultPoint, FILE_MODE, KeyUnavailableError, syncPath, UnreadableFileError } from '../lib/index.js';
import { listArchives, type ArchiveEntry } from './archive/list.js';
import { INDEX_FOLDER } from './catalog/catalog.js';
import { EnvelopeCodec } from './codec.js';
import { storedContentFiles } from './key-check.js';
import { CONVERSION_FILE, pendingConversion, type ConversionTarget } from './encryption.js';
import { KIND_FOLDERS } from './layout.js';
import { listTree } from './run-files.js';

/**
 * Records that `runsDir` is being converted to `to` (synced) before the first file changes;
 * {@link KeyUnavailableError} when another conversion was cut short.
 */
export async function beginConversion(runsDir: string, to: ConversionTarget): Promise<void> {
  const pending = pendingConversion(runsDir);
  if (pending !== null && pending !== to) {
    throw new KeyUnavailableError(`a conversion of ${runsDir} to ${pending} was interrupted: run \`paracle keys ${pending === 'encrypted' ? 'encrypt' : 'decrypt'}-store\` again first`);
  }
  writeFileSync(join(runsDir, CONVERSION_FILE), `${JSON.stringify({ to })}\n`, { mode: FILE_MODE });
  await syncPath(join(runsDir, CONVERSION_FILE));
  await syncPath(runsDir);
}

/** Ends the conversion of `runsDir` (its record removed, synced). */
export async function endConversion(runsDir: string): Promise<void> {
  await rm(join(runsDir, CONVERSION_FILE), { force: true });
  await syncPath(runsDir);
}

/**
 * Converts, in place, every file of run content of `runsDir` to `to` with the data keys of `keys`:
 * live run files and staged uploads one by one (each to a synced temp file renamed over the
 * original: fault point `store-file-converted`), then each archive repacked whole (fault
 * point `archive-converted`); then deletes the index, which the next open rebuilds in the
 * new form. A file already in the target form is left alone, so a conversion cut short is
 * finished by running it again. Returns how many files and archives changed.
 */
export async function convertStoreFiles(runsDir: string, keys: KeyStore, to: ConversionTarget, progress: (done: number, total: number) => void): Promise<number> {
  const codec = new EnvelopeCodec(runsDir, keys);
  const files = await storedContentFiles(runsDir);
  const archives = await listArchives(runsDir);
  const total = files.length + archives.length;
  let changed = 0;
  let done = 0;
  for (const file of files) {
    if (await convertFile(file, file, codec, to)) {
      changed += 1;
      faultPoint('store-file-converted');
    }
    progress(++done, total);
  }
  for (const archive of archives) {
    if (await convertArchive(runsDir, archive, codec, to)) {
      changed += 1;
      faultPoint('archive-converted');
    }
    progress(++done, total);
  }
  for (const entry of await listTree(join(runsDir, INDEX_FOLDER))) await rm(join(entry.parentPath, entry.name), { force: true, recursive: true });
  return changed;
}

/** Converts one file; `virtualPath` is where it lives in the store (its data key follows from it). */
async function convertFile(file: string, virtualPath: string, codec: EnvelopeCodec, to: ConversionTarget): Promise<boolean> {
  if ((await isSealed(file, codec, to)) === (to === 'encrypted')) return false;
  const transform: Transform = to === 'encrypted' ? codec.sealing(virtualPath) : codec.opening(file);
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(createReadStream(file), transform, createWriteStream(tmp, { mode: FILE_MODE }));
    await syncPath(tmp);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
  await syncPath(dirname(file));
  return true;
}

/**
 * Whether `file` is sealed: it has an envelope header naming a key of the store and opens
 * with it. A header naming a key that opens nothing is a damaged file (an error, never
 * converted twice); content that merely starts like a header is plaintext.
 */
async function isSealed(file: string, codec: EnvelopeCodec, to: ConversionTarget): Promise<boolean> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(300);
    head = head.subarray(0, (await handle.read(head, 0, head.length, 0)).bytesRead);
  } finally {
    await handle.close();
  }
  if (!looksEncrypted(head)) return false;
  let keyId: string;
  try {
    const header = parseHeader(head, file);
    if (header === null) return false;
    keyId = header.keyId;
  } catch {
    return false;
  }
  if (codec.keys.get(keyId) === null) {
    if (to === 'encrypted') return false;
    throw new UnreadableFileError(file, `its data key ${keyId} no longer exists: move it out of the runs dir, then convert again`);
  }
  await pipeline(createReadStream(file), codec.opening(file), new Writable({ write: (_c, _e, next) => next() }));
  return true;
}

/** Repacks one archive with its members converted; false when they all are already. */
async function convertArchive(runsDir: string, archive: ArchiveEntry, codec: EnvelopeCodec, to: ConversionTarget): Promise<boolean> {
  const { extract, list, create } = await import('tar');
  const work = join(dirname(archive.file), `.convert-${archive.runId}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const entries: string[] = [];
    await list({ file: archive.file, onReadEntry: (entry) => void (entry.type === 'File' && entries.push(entry.path)) });
    await extract({ file: archive.file, cwd: work, strict: true });
    const live = join(runsDir, KIND_FOLDERS[archive.kind]);
    let changed = false;
    for (const entry of await listTree(work)) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      changed = (await convertFile(full, join(live, relative(work, full)), codec, to)) || changed;
    }
    if (!changed) return false;
    const tmp = join(dirname(archive.file), `.${basename(archive.file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await create({ gzip: true, file: tmp, cwd: work, portable: true, noDirRecurse: true }, entries);
      await chmod(tmp, FILE_MODE);
      await syncPath(tmp);
      await rename(tmp, archive.file);
    } finally {
      await rm(tmp, { force: true });
    }
    await syncPath(dirname(archive.file));
    return true;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
