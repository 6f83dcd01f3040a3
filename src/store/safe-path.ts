/**
 * Paths under the runs dir that follow no symbolic link: every directory from a base the
 * daemon owns down to the target is checked (and made, owner-only, when missing), and files
 * are opened with O_NOFOLLOW, so a link planted anywhere under the runs dir cannot carry a
 * write outside it.
 */
import { constants, lstatSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DIR_MODE, FILE_MODE, InvalidInputError } from '../lib/index.js';
import { errnoOf, StoreError, storeOp, storeOpSync } from './errors.js';
import type { RunFiles } from './run-io.js';

/** The error for a path through a symbolic link, or (a name clash) through a file. */
function notADirectory(path: string, link: boolean): Error {
  if (link) return new InvalidInputError(`${path} is a symbolic link; the run store follows no links`);
  return new StoreError('mkdir', path, Object.assign(new Error('a file is in the way of a folder'), { code: 'ENOTDIR' }));
}

/**
 * The directory `base/segments...`, each level made (0700) when missing and checked to be a
 * real directory, not a symbolic link. `base` itself is taken as it is (the runs dir may be
 * a link a user chose). The first `existing` levels are never made: a missing one (a run
 * directory moved or deleted meanwhile) throws a {@link StoreError} (`ENOENT`), and so does
 * a level whose parent vanished while it was made. Throws {@link InvalidInputError} at the
 * first level that is a link, a {@link StoreError} (`ENOTDIR`) at one that is a file.
 */
export async function directoryInside(base: string, segments: readonly string[], existing = 0): Promise<string> {
  let path = base;
  for (const [level, segment] of segments.entries()) {
    path = join(path, segment);
    const found = await storeOp('read', path, () => lstat(path).catch((err: unknown) => {
      if (errnoOf(err) === 'ENOENT' && level >= existing) return null;
      throw err;
    }));
    if (found === null) {
      // One level at a time, never its parents: a parent gone since it was checked stays gone.
      await storeOp('mkdir', path, () => mkdir(path, { mode: DIR_MODE }).catch((err: unknown) => {
        if (errnoOf(err) !== 'EEXIST') throw err;
      }));
      // Made just now, or by someone racing us: check what is there either way.
      checkDirectory(path, await storeOp('read', path, () => lstat(path)));
    } else checkDirectory(path, found);
  }
  return path;
}

/**
 * {@link directoryInside}, synchronously through `io` (the run-store exporter's worker):
 * levels made are remembered for its next sync.
 */
export function directoryInsideSync(io: RunFiles, base: string, segments: readonly string[]): string {
  let path = base;
  for (const segment of segments) {
    path = join(path, segment);
    const found = lstatIfExists(path);
    if (found === null) {
      io.makeDir(path);
      checkDirectory(path, storeOpSync('read', path, () => lstatSync(path)));
    } else checkDirectory(path, found);
  }
  return path;
}

function checkDirectory(path: string, found: Stats): void {
  if (!found.isDirectory()) throw notADirectory(path, found.isSymbolicLink());
}

function lstatIfExists(path: string): Stats | null {
  return storeOpSync('read', path, () => lstatSync(path, { throwIfNoEntry: false }) ?? null);
}

/** Creates a new file (exclusively, owner-only) without following a link at `path`. */
export function createFileNoFollow(path: string): Promise<FileHandle> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  return storeOp('write', path, () => open(path, flags, FILE_MODE));
}

/** {@link isLink}, synchronously. */
export function isLinkSync(path: string): boolean {
  return lstatIfExists(path)?.isSymbolicLink() === true;
}

/** True when `path` is a symbolic link (false when it is anything else or absent). */
export async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
}
