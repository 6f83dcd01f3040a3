import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { ReadEntry } from 'tar';
import { NotFoundError } from '../../lib/index.js';
import { codecOf } from '../codec.js';
import { CorruptRunFileError, errnoOf, StoreError } from '../errors.js';
import { hashChunks } from '../file-hash.js';
import { MANIFEST_FILE, parseManifest, type Manifest, type ManifestFile } from './manifest.js';

/**
 * What a visitor does with an entry: `skip` it, `take` it (the visitor reads it), `stop`
 * reading once this taken entry is read, or `end` reading before this entry.
 */
type Visit = 'skip' | 'take' | 'stop' | 'end';

/**
 * Reads the regular files of archive `file` in order, handing each (its path relative to the
 * run directory) to `visit`. Resolves when the archive ends or a visitor says `stop`, after
 * any entry it took has been read. Throws {@link CorruptRunFileError} for an archive that is
 * not gzip and tar, {@link NotFoundError} when the file does not exist.
 */
async function scanArchive(file: string, visit: (path: string, entry: ReadEntry) => Visit): Promise<void> {
  // Loaded on first use: most commands never open an archive.
  const { Parser } = await import('tar');
  return new Promise<void>((resolve, reject) => {
    const source = createReadStream(file);
    const parser = new Parser({ strict: true });
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      source.destroy();
      if (err === undefined) resolve();
      else reject(describeFailure(file, err));
    };
    parser.on('entry', (entry: ReadEntry) => {
      if (settled || entry.type !== 'File') return void entry.resume();
      const choice = visit(stripRunFolder(entry.path), entry);
      if (choice === 'skip') entry.resume();
      if (choice === 'stop') entry.on('end', () => finish());
      if (choice === 'end') finish();
    });
    parser.on('end', () => finish());
    parser.on('error', finish);
    source.on('error', finish);
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

// Entries are `{run_id}/path`, so extracting an archive by hand gives a named folder.
function stripRunFolder(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

function describeFailure(file: string, err: unknown): Error {
  const code = errnoOf(err);
  if (code === 'ENOENT') return new NotFoundError(`no archive ${file}`);
  // zlib's and tar's own codes mean damaged bytes; other codes are the file system's.
  if (code !== null && !/^(Z_|TAR_)/.test(code)) return new StoreError('read', file, err);
  return new CorruptRunFileError(`the archive ${file} is damaged: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Collects one entry's bytes. */
function collect(entry: ReadEntry, done: (bytes: Buffer) => void): void {
  const chunks: Buffer[] = [];
  entry.on('data', (chunk: Buffer) => chunks.push(chunk));
  entry.on('end', () => done(Buffer.concat(chunks)));
}

/**
 * Those of the named files that open the archive (the manifest, metadata and compression
 * record are packed first), read into memory; reading ends at the first other file, so a
 * run's artifacts are never inflated to learn what the run is.
 */
export async function readArchiveHead(file: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const wanted = new Set(paths);
  await scanArchive(file, (path, entry) => {
    if (!wanted.delete(path)) return 'end';
    // Members are stored as they were in the run directory: sealed when the store is encrypted.
    collect(entry, (bytes) => found.set(path, bytes));
    return wanted.size === 0 ? 'stop' : 'take';
  });
  const codec = codecOf(file);
  for (const [path, bytes] of found) found.set(path, codec.open(`${file}:${path}`, bytes));
  return found;
}

/** An archive's manifest (its first entry). */
export async function readArchiveManifest(file: string): Promise<Manifest> {
  const text = (await readArchiveHead(file, [MANIFEST_FILE])).get(MANIFEST_FILE);
  if (text === undefined) throw new CorruptRunFileError(`the archive ${file} has no manifest`);
  return parseManifest(text.toString('utf8'), file);
}

/** Size and SHA-256 of every file in an archive but the manifest, to check it against the manifest. */
export async function hashArchive(file: string): Promise<ManifestFile[]> {
  const hashed: Promise<ManifestFile>[] = [];
  await scanArchive(file, (path, entry) => {
    if (path === MANIFEST_FILE) return 'skip';
    // The manifest hashes content: members of an encrypted store are opened first.
    const opening = codecOf(file).opening(`${file}:${path}`);
    const content = opening === null ? entry : (entry as unknown as Readable).pipe(opening);
    hashed.push(hashChunks(content as unknown as AsyncIterable<Buffer>).then((sum) => ({ path, ...sum })));
    return 'take';
  });
  return Promise.all(hashed);
}

/**
 * Streams one file of an archive. Resolves once the file is found; {@link NotFoundError}
 * when the archive has no such file.
 */
export function openArchiveFile(file: string, path: string): Promise<Readable> {
  const out = new PassThrough();
  return new Promise<Readable>((resolve, reject) => {
    let found = false;
    scanArchive(file, (entryPath, entry) => {
      if (entryPath !== path) return 'skip';
      found = true;
      const opening = codecOf(file).opening(`${file}:${path}`);
      if (opening === null) entry.pipe(out);
      else {
        opening.on('error', (err) => out.destroy(err));
        entry.pipe(opening).pipe(out);
      }
      resolve(out);
      return 'stop';
    }).then(
      () => found || reject(new NotFoundError(`no file ${path}`)),
      (err: unknown) => (found ? out.destroy(err as Error) : reject(err)),
    );
  });
}
