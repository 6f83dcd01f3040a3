import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { DIR_MODE, FILE_MODE, faultPoint } from '../lib/index.js';
import { codecOf } from './codec.js';
import { StoreError, errnoOf, storeOpSync } from './errors.js';

/**
 * Bytes made while they are written: `write` hands them to `sink` a chunk at a time and may
 * reuse a chunk once `sink` returns (files are written synchronously). Never joined unless
 * sealed.
 */
export interface ContentStream {
  write(sink: (chunk: Uint8Array) => void): void;
}

/** A file's content: text, bytes, or bytes made as they are written. */
export type FileContent = string | Uint8Array | ContentStream;

/**
 * The one place run files are written and read back while writing runs: synchronous (the
 * run-store exporter calls it from its worker thread, where blocking is the point), every
 * file written atomically (temp file + rename), each failure a {@link StoreError}. It also
 * remembers what it wrote since the last {@link syncWritten} (asynchronous), so that the
 * write-ahead log can make the store durable before it deletes a segment, without syncing
 * the whole file system. Not for concurrent use on the same run.
 *
 * Crash tests stop a write here: fault point `run-file` after each file is in place.
 */
export class RunFiles {
  /** Files put in place since the last sync. */
  private readonly files = new Set<string>();
  /** Directories whose entries changed since the last sync. */
  private readonly dirs = new Set<string>();

  /** Files and directories waiting for {@link syncWritten}. */
  get unsynced(): number {
    return this.files.size + this.dirs.size;
  }

  /** Makes `dir` and any missing parent; returns true when `dir` itself was made now. */
  makeDir(dir: string): boolean {
    const first = storeOpSync('mkdir', dir, () => mkdirSync(dir, { recursive: true, mode: DIR_MODE }));
    if (first === undefined) return false;
    // Every folder from `first` down is new: each one's parent gained an entry.
    for (let d = dir; d.length >= first.length; d = dirname(d)) this.dirs.add(dirname(d));
    return true;
  }

  /**
   * Writes `data` to `path` atomically: a reader sees the old file or the whole new one.
   * The parent folder is made when missing. Returns the bytes written.
   */
  writeAtomic(path: string, data: FileContent): number {
    const dir = dirname(path);
    const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    let streamed = 0;
    const content: FileContent = isStream(data) ? { write: (sink) => data.write((chunk) => ((streamed += chunk.byteLength), sink(chunk))) } : data;
    storeOpSync('write', path, () => {
      try {
        writeTemp(tmp, sealed(path, content), () => this.makeDir(dir));
        renameSync(tmp, path);
      } catch (err) {
        // A part written to a full disk must not keep it full.
        rmSync(tmp, { force: true });
        throw err;
      }
    });
    this.files.add(path);
    this.dirs.add(dir);
    faultPoint('run-file');
    if (typeof data === 'string') return Buffer.byteLength(data);
    return isStream(data) ? streamed : data.byteLength;
  }

  /** The modification time of `path`, in ms. */
  mtimeMs(path: string): number {
    return storeOpSync('read', path, () => statSync(path).mtimeMs);
  }

  /**
   * What identifies the file now at `path` (inode, size, modification time), or null when
   * there is none: a file written again, replaced or moved has another stamp.
   */
  stamp(path: string): string | null {
    return storeOpSync('read', path, () => {
      const stat = statSync(path, { throwIfNoEntry: false });
      return stat === undefined ? null : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    });
  }

  /**
   * Remembers a file put in place by someone else (a new data key) for the next
   * {@link syncWritten}.
   */
  remember(file: string): void {
    this.files.add(file);
    this.dirs.add(dirname(file));
  }

  /** A file's text, or null when it does not exist. */
  readText(path: string): string | null {
    return this.readBytes(path)?.toString('utf8') ?? null;
  }

  /**
   * A file's bytes (opened as its codec says), or null when it does not exist: for a decoder
   * that takes bytes, which a large trace.json read as text would be copied back into.
   */
  readBytes(path: string): Buffer | null {
    return storeOpSync('read', path, () => {
      try {
        return codecOf(path).open(path, readFileSync(path));
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
        throw err;
      }
    });
  }

  /** The entries of `dir`; none when it does not exist. */
  list(dir: string): Dirent[] {
    return storeOpSync('readdir', dir, () => {
      try {
        return readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return [];
        throw err;
      }
    });
  }

  /** Every entry under `dir` at any depth; none when it does not exist. */
  listTree(dir: string): Dirent[] {
    // Usually missing (staged uploads): a stat is cheaper than the error readdir throws.
    if (!existsSync(dir)) return [];
    return storeOpSync('readdir', dir, () => {
      try {
        return readdirSync(dir, { recursive: true, withFileTypes: true });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return [];
        throw err;
      }
    });
  }

  /** The real path of `path` (symbolic links resolved). */
  realPath(path: string): string {
    return storeOpSync('resolve', path, () => realpathSync(path));
  }

  /** Renames a file or folder; what was written below `from` is then remembered below `to`. */
  rename(from: string, to: string): void {
    storeOpSync('rename', `${from} to ${to}`, () => renameSync(from, to));
    this.files.add(to);
    this.dirs.add(dirname(from));
    this.dirs.add(dirname(to));
    const prefix = from + sep;
    for (const set of [this.files, this.dirs]) {
      for (const path of [...set]) {
        if (path !== from && !path.startsWith(prefix)) continue;
        set.delete(path);
        set.add(to + path.slice(from.length));
      }
    }
  }

  /** Deletes `dir` if it is an empty folder; true when it did (false: not empty, or gone). */
  removeEmptyDir(dir: string): boolean {
    return storeOpSync('remove', dir, () => {
      try {
        rmdirSync(dir);
      } catch (err) {
        if (errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST' || errnoOf(err) === 'ENOENT') return false;
        throw err;
      }
      this.dirs.add(dirname(dir));
      return true;
    });
  }

  /** Deletes a file or folder and everything in it; nothing happens when it does not exist. */
  remove(path: string): void {
    storeOpSync('remove', path, () => rmSync(path, { recursive: true, force: true }));
    this.dirs.add(dirname(path));
  }

  /**
   * Makes every file put in place and every folder changed before the call durable (fdatasync
   * of each file, then fsync of each folder, so the renames survive too), `concurrency` at a
   * time: concurrent syncs share the device's cache flushes. Asynchronous, so writes can go
   * on meanwhile (they are left to the next call). A path gone since (removed by
   * maintenance) needs nothing. On failure what was not synced stays for the next call.
   */
  async syncWritten(concurrency = 32): Promise<void> {
    const files = [...this.files];
    const dirs = [...this.dirs];
    this.files.clear();
    this.dirs.clear();
    try {
      await syncAll(files, concurrency, (handle) => handle.datasync());
      await syncAll(dirs, concurrency, (handle) => handle.sync());
    } catch (err) {
      for (const path of files) this.files.add(path);
      for (const path of dirs) this.dirs.add(path);
      throw err;
    }
  }
}

function isStream(data: FileContent): data is ContentStream {
  return typeof data === 'object' && !(data instanceof Uint8Array);
}

/** What to store for `data` at `path`: a stream stays one unless its codec seals it (in one envelope). */
function sealed(path: string, data: FileContent): FileContent {
  const codec = codecOf(path);
  if (!isStream(data)) return codec.seal(path, data);
  if (!codec.encrypted) return data;
  const chunks: Buffer[] = [];
  data.write((chunk) => chunks.push(Buffer.from(chunk)));
  return codec.seal(path, Buffer.concat(chunks));
}

/** Writes a temp file; its folder is made (`makeDir`) only when missing: one syscall less per write. */
function writeTemp(tmp: string, data: FileContent, makeDir: () => void): void {
  try {
    writeNew(tmp, data);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
    makeDir();
    writeNew(tmp, data);
  }
}

function writeNew(path: string, data: FileContent): void {
  if (!isStream(data)) {
    writeFileSync(path, data, { mode: FILE_MODE });
    return;
  }
  const fd = openSync(path, 'w', FILE_MODE);
  try {
    data.write((chunk) => {
      for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at);
    });
  } finally {
    closeSync(fd);
  }
}

async function syncAll(paths: readonly string[], concurrency: number, sync: (handle: FileHandle) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < paths.length) await syncOne(paths[next++]!, sync);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, lane));
}

async function syncOne(path: string, sync: (handle: FileHandle) => Promise<void>): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return;
    throw new StoreError('write', path, err);
  }
  try {
    await sync(handle);
  } catch (err) {
    // Some file systems refuse to sync a folder; its renames are still atomic there.
    if (errnoOf(err) !== 'EINVAL' && errnoOf(err) !== 'EISDIR') throw new StoreError('write', path, err);
  } finally {
    await handle.close();
  }
}
