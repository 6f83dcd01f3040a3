import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTempFile, listEntries } from '../artifacts.js';
import { faultPoint, makeDirectory } from '../../lib/index.js';
import { storeOp } from '../errors.js';
import { runDirectory } from '../layout.js';
import { listTree } from '../run-files.js';
import type { RunRef } from '../writer.js';
import { ARCHIVE_FOLDER, TRASH_FOLDER } from './layout.js';

/**
 * Takes a run out of the live store: its directory is renamed into `.trash/` (`retired`: one
 * atomic step, so a reader finds the whole run or none of it) and then deleted (`removed`).
 * What a crash leaves in `.trash/` is deleted by {@link finishInterruptedMoves}.
 */
export async function retireRunDirectory(runsDir: string, location: RunRef): Promise<void> {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const trash = join(runsDir, TRASH_FOLDER);
  const doomed = join(trash, `${location.runId}.${randomBytes(6).toString('hex')}`);
  await storeOp('mkdir', trash, () => makeDirectory(trash));
  await storeOp('rename', dir, () => rename(dir, doomed));
  faultPoint('retired');
  await storeOp('remove', doomed, () => rm(doomed, { recursive: true, force: true }));
  faultPoint('removed');
}

/**
 * Finishes what an interrupted job left: deletes retired run directories still in `.trash/`
 * and temp files of archives never placed. Returns how many leftovers it removed.
 */
export async function finishInterruptedMoves(runsDir: string): Promise<number> {
  let removed = 0;
  const trash = join(runsDir, TRASH_FOLDER);
  for (const entry of await listEntries(trash)) {
    const path = join(trash, entry.name);
    await storeOp('remove', path, () => rm(path, { recursive: true, force: true }));
    removed += 1;
  }
  for (const entry of await listTree(join(runsDir, ARCHIVE_FOLDER))) {
    if (!entry.isFile() || !isTempFile(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    await storeOp('remove', path, () => rm(path, { force: true }));
    removed += 1;
  }
  return removed;
}
