import { lstatSync, readdirSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from './errors.js';
import { listTree } from './run-files.js';

/**
 * The bytes of the regular files under `dir` at any depth (symbolic links are not followed
 * nor counted); 0 when it does not exist. Entries removed while it counts are skipped.
 */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await listTree(dir)) {
    if (!entry.isFile()) continue;
    try {
      total += (await lstat(join(entry.parentPath, entry.name))).size;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  return total;
}

/**
 * {@link directoryBytes}, synchronously: for the run-store worker, which has just written the
 * directory and tells the index its size, so the event loop need not list it again.
 */
export function directoryBytesSync(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 0;
    throw err;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += lstatSync(join(entry.parentPath, entry.name)).size;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  return total;
}
