import type { Dirent } from 'node:fs';
import type { Readable } from 'node:stream';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidInputError, NotFoundError } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import { errnoOf, storeOp } from './errors.js';
import { KIND_FOLDERS, isInside, isValidRunId, runDirectory, sanitizeStepId } from './layout.js';
import { contentSize, openStored } from './stored-file.js';
import type { RunRef } from './writer.js';

/** One file below a run directory. */
export interface RunFileEntry {
  /** POSIX path relative to the folder listed. */
  path: string;
  /** Bytes as written (a file stored compressed reports its original size). */
  size: number;
  /** Set when the file is stored gzip-compressed; readers get it inflated. */
  compressed?: true;
}

const KINDS: readonly RunKind[] = ['agent', 'workflow'];
// eslint-disable-next-line no-control-regex -- control characters are refused in paths
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// writeFileAtomic's temp files and the store's own markers are not run files.
const HIDDEN = /^\./;

/**
 * Where run `runId` lives, looked up on disk (the run directories are the truth). Throws
 * {@link InvalidInputError} for text that is not a run id and {@link NotFoundError} when
 * no run has that id.
 */
export async function locateRun(runsDir: string, runId: string): Promise<RunRef> {
  if (!isValidRunId(runId)) throw new InvalidInputError(`"${runId}" is not a run id`);
  for (const kind of KINDS) {
    const dir = runDirectory(runsDir, kind, runId);
    const found = await storeOp('read', dir, async () => {
      try {
        return (await stat(join(dir, 'metadata.yaml'))).isFile();
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
        throw err;
      }
    });
    if (found) return { kind, runId };
  }
  throw noSuchRun(runId);
}

/**
 * The error for a run that does not exist, also given for a run outside a token's scope, so
 * that the two cannot be told apart.
 */
export function noSuchRun(runId: string): NotFoundError {
  return new NotFoundError(`no run with id ${runId}`);
}

/**
 * Every regular file under `folder` at any depth, sorted by path; hidden files (temp files
 * of interrupted writes, store markers) are left out. None when the folder does not exist.
 */
export async function listFiles(folder: string): Promise<RunFileEntry[]> {
  const entries = await listTree(folder);
  const files: RunFileEntry[] = [];
  for (const entry of entries) {
    const full = join(entry.parentPath, entry.name);
    const path = relative(folder, full).split(sep).join('/');
    if (!entry.isFile() || path.split('/').some((part) => HIDDEN.test(part))) continue;
    const stored = (await storeOp('read', full, () => stat(full))).size;
    files.push({ path, size: await storeOp('read', full, () => contentSize(full, stored)) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Every entry under `folder` at any depth; none when the folder does not exist. */
export async function listTree(folder: string): Promise<Dirent[]> {
  return storeOp('readdir', folder, async () => {
    try {
      return await readdir(folder, { recursive: true, withFileTypes: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    }
  });
}

/**
 * Checks a relative path given by a user (an artifact path, a step id) and returns its
 * segments. Refuses, with {@link InvalidInputError}, empty and absolute paths, drive letters,
 * backslashes, control characters and `.`/`..` segments: such a path is never resolved.
 */
export function checkRelativePath(path: string, what = 'path'): string[] {
  const bad =
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    /^[A-Za-z]:/.test(path) ||
    CONTROL_CHARS.test(path);
  const segments = path.split('/');
  if (bad || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidInputError(`${what} "${path}" is not a plain relative path`);
  }
  return segments;
}

/**
 * The folder of a run (`''`) or of one of its workflow steps (`steps/{stepId}`), relative to
 * the run directory. A step id must already be in its stored (sanitised) form; anything else
 * is refused.
 */
export function stepFolder(location: { kind: RunKind; runId: string }, stepId?: string): string {
  if (stepId === undefined) return '';
  checkRelativePath(stepId, 'step id');
  if (sanitizeStepId(stepId) !== stepId) throw new InvalidInputError(`step id "${stepId}" is not a stored step id`);
  if (location.kind !== 'workflow') throw new NotFoundError(`run ${location.runId} is an agent run and has no steps`);
  return `steps/${stepId}`;
}

/**
 * The real path of file `path` under `folder`, refusing traversal (see
 * {@link checkRelativePath}) and symbolic links that lead out of the folder. Throws
 * {@link NotFoundError} when there is no such regular file.
 */
export async function resolveFileInside(folder: string, path: string, what = 'path'): Promise<string> {
  const segments = checkRelativePath(path, what);
  const target = join(folder, ...segments);
  const real = await storeOp('resolve', target, async () => {
    try {
      const [root, resolved] = await Promise.all([realpath(folder), realpath(target)]);
      return isInside(root, resolved) && (await stat(resolved)).isFile() ? resolved : null;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
      throw err;
    }
  });
  if (real === null) throw new NotFoundError(`no file ${path}`);
  return real;
}

/** Opens a file found by {@link resolveFileInside} for streaming its content. */
export function openFile(path: string): Readable {
  return openStored(path);
}

/** The folder names of the run kinds, for code that walks the store. */
export function kindFolders(runsDir: string): { kind: RunKind; dir: string }[] {
  return KINDS.map((kind) => ({ kind, dir: join(runsDir, KIND_FOLDERS[kind]) }));
}
