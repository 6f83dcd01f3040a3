import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../lib/index.js';
import type { RunKind, StorePlace } from '../model/index.js';
import { archiveFile } from './archive/layout.js';
import { MANIFEST_FILE, parseManifest, type Manifest } from './archive/manifest.js';
import { openArchiveFile, readArchiveHead } from './archive/read.js';
import {
  COMPRESSION_RECORD,
  inflateIfCompressed,
  isStoredCompressed,
  parseCompressionRecord,
  readCompressionRecord,
  type CompressionRecord,
} from './compression.js';
import { CorruptRunFileError, errnoOf, storeOp } from './errors.js';
import { runDirectory } from './layout.js';
import { isPinned } from './pin.js';
import { checkRelativePath, listFiles, locateRun, noSuchRun, openFile, resolveFileInside, type RunFileEntry } from './run-files.js';
import { contentSize, readStoredText } from './stored-file.js';
import { openSharedRun } from './shared/shared-run.js';
import { sharedStoreOf } from './shared/shared-store.js';

/**
 * One run, live or archived, read the same way: callers never learn where the bytes come
 * from, and compressed files come back as they were written.
 */
export interface StoredRun {
  readonly kind: RunKind;
  readonly runId: string;
  readonly place: StorePlace;
  metadataText(): Promise<string>;
  pinned(): Promise<boolean>;
  /** The regular files under `folder` (relative to the run directory, '' for all), hidden ones left out. */
  list(folder: string): Promise<RunFileEntry[]>;
  /** Streams one file by its path relative to the run directory; {@link NotFoundError} when absent. */
  open(path: string): Promise<Readable>;
  /** A text that changes whenever the file at `path` does (for caches); {@link NotFoundError} when absent. */
  stamp(path: string): Promise<string>;
}

const KINDS: readonly RunKind[] = ['agent', 'workflow'];
/** A path with a hidden segment: the store's markers and temp files, never a run file. */
export const HIDDEN_PATH = /(^|\/)\./;

/**
 * Finds run `runId`: its live directory when there is one (a run being archived is live
 * until its directory is retired), else its archive. Throws {@link InvalidInputError} for
 * text that is not a run id and {@link NotFoundError} when the run is in neither place.
 */
export async function openStoredRun(runsDir: string, runId: string): Promise<StoredRun> {
  // The shared backend: the run's objects, or its archive object (INTERFACE.md §12).
  const shared = sharedStoreOf(runsDir);
  if (shared) return openSharedRun(runsDir, shared, runId);
  try {
    const location = await locateRun(runsDir, runId);
    return new LiveRun(runsDir, location.kind, runId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  for (const kind of KINDS) {
    const file = archiveFile(runsDir, kind, runId);
    if (await isFile(file)) return ArchivedRun.open(kind, runId, file);
  }
  throw noSuchRun(runId);
}

async function isFile(path: string): Promise<boolean> {
  return storeOp('read', path, async () => {
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
      throw err;
    }
  });
}

/** Reports a compressed file by its original size. */
export function withOriginalSizes(files: RunFileEntry[], folder: string, record: CompressionRecord, sizeOnDisk: (path: string) => number): RunFileEntry[] {
  return files.map((file) => {
    const path = folder === '' ? file.path : `${folder}/${file.path}`;
    const entry = record[path];
    return isStoredCompressed(entry, sizeOnDisk(path)) ? { path: file.path, size: entry.bytes, compressed: true } : file;
  });
}

class LiveRun implements StoredRun {
  readonly place = 'live';
  private readonly dir: string;

  constructor(
    private readonly runsDir: string,
    readonly kind: RunKind,
    readonly runId: string,
  ) {
    this.dir = runDirectory(runsDir, kind, runId);
  }

  metadataText(): Promise<string> {
    const path = join(this.dir, 'metadata.yaml');
    return readStoredText(path);
  }

  pinned(): Promise<boolean> {
    return isPinned(this.runsDir, this);
  }

  async list(folder: string): Promise<RunFileEntry[]> {
    const [files, record] = await Promise.all([listFiles(folder === '' ? this.dir : join(this.dir, folder)), readCompressionRecord(this.dir)]);
    const sizes = new Map(files.map((file) => [folder === '' ? file.path : `${folder}/${file.path}`, file.size]));
    return withOriginalSizes(files, folder, record, (path) => sizes.get(path) ?? -1);
  }

  async open(path: string): Promise<Readable> {
    if (HIDDEN_PATH.test(path)) throw new NotFoundError(`no file ${path}`);
    const real = await resolveFileInside(this.dir, path, 'path');
    const [record, size] = await Promise.all([
      readCompressionRecord(this.dir),
      storeOp('read', real, async () => contentSize(real, (await stat(real)).size)),
    ]);
    return inflateIfCompressed(openFile(real), isStoredCompressed(record[path], size));
  }

  async stamp(path: string): Promise<string> {
    if (HIDDEN_PATH.test(path)) throw new NotFoundError(`no file ${path}`);
    const real = await resolveFileInside(this.dir, path, 'path');
    const { size, mtimeMs, ino } = await storeOp('read', real, () => stat(real));
    return `live:${ino}:${size}:${mtimeMs}`;
  }
}

/** A run read from its archive file (`.tar.gz`, see archive/). */
export class ArchivedRun implements StoredRun {
  readonly place = 'archive';

  private constructor(
    readonly kind: RunKind,
    readonly runId: string,
    private readonly file: string,
    private readonly manifest: Manifest,
    private readonly metadata: string,
    private readonly record: CompressionRecord,
  ) {}

  /** Reads the archive's head: manifest, metadata and compression record. */
  static async open(kind: RunKind, runId: string, file: string): Promise<ArchivedRun> {
    const head = await readArchiveHead(file, [MANIFEST_FILE, 'metadata.yaml', COMPRESSION_RECORD]);
    const manifestText = head.get(MANIFEST_FILE);
    const metadata = head.get('metadata.yaml');
    if (manifestText === undefined || metadata === undefined) {
      throw new CorruptRunFileError(`the archive ${file} lacks its manifest or metadata.yaml`);
    }
    const recordText = head.get(COMPRESSION_RECORD);
    const record = recordText === undefined ? {} : parseCompressionRecord(recordText.toString('utf8'), file);
    return new ArchivedRun(kind, runId, file, parseManifest(manifestText.toString('utf8'), file), metadata.toString('utf8'), record);
  }

  async metadataText(): Promise<string> {
    return this.metadata;
  }

  async pinned(): Promise<boolean> {
    // Pinned runs never leave the live store; a pin set after archiving does not travel.
    return false;
  }

  async list(folder: string): Promise<RunFileEntry[]> {
    const prefix = folder === '' ? '' : `${folder}/`;
    const files = this.manifest.files
      .filter((file) => file.path.startsWith(prefix) && !HIDDEN_PATH.test(file.path))
      .map((file) => ({ path: file.path.slice(prefix.length), size: file.size }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const sizes = new Map(this.manifest.files.map((file) => [file.path, file.size]));
    return withOriginalSizes(files, folder, this.record, (path) => sizes.get(path) ?? -1);
  }

  async open(path: string): Promise<Readable> {
    checkRelativePath(path, 'path');
    const file = this.manifest.files.find((entry) => entry.path === path);
    if (!file || HIDDEN_PATH.test(path)) throw new NotFoundError(`no file ${path}`);
    const stream = await openArchiveFile(this.file, path);
    return inflateIfCompressed(stream, isStoredCompressed(this.record[path], file.size));
  }

  async stamp(path: string): Promise<string> {
    const file = this.manifest.files.find((entry) => entry.path === path);
    if (!file || HIDDEN_PATH.test(path)) throw new NotFoundError(`no file ${path}`);
    // An archive is written once and never changed in place.
    return `archive:${this.runId}:${file.size}`;
  }
}
