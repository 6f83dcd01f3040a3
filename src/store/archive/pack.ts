import { randomBytes } from 'node:crypto';
import { chmod, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { faultPoint, FILE_MODE, makeDirectory, syncPath } from '../../lib/index.js';
import { CorruptRunFileError, storeOp } from '../errors.js';
import { KIND_FOLDERS, runDirectory } from '../layout.js';
import type { RunRef } from '../writer.js';
import { archiveFile } from './layout.js';
import { buildManifest, compareManifest, MANIFEST_FILE } from './manifest.js';
import { hashArchive } from './read.js';
import { retireRunDirectory } from './retire.js';
import { writeStoredAtomic } from '../stored-file.js';

/**
 * Moves a live run into its archive, in steps that each leave the run readable in exactly
 * one place: the manifest is written into the run directory (`manifest`); the archive is
 * packed into a temp file and synced (`packed`), renamed into place (`placed`: from here a
 * reader still prefers the live directory), read back and checked file by file against the
 * manifest (`verified`); then the live directory is retired (see {@link retireRunDirectory}).
 * A run interrupted anywhere is archived again from the start by the next attempt.
 * Each step ends at a fault point (lib/fault.ts), where the crash tests stop the process.
 * Throws {@link NotFoundError}-like {@link CorruptRunFileError} when the run has no
 * metadata.yaml, and when the archive read back differs (the archive is then removed and
 * the live run kept).
 */
export async function archiveRun(runsDir: string, location: RunRef, nowMs: number): Promise<void> {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const manifest = await buildManifest(dir, location.kind, location.runId, nowMs);
  if (!manifest.files.some((file) => file.path === 'metadata.yaml')) {
    throw new CorruptRunFileError(`run ${location.runId} has no metadata.yaml: not archived`);
  }
  await writeStoredAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  faultPoint('manifest');

  const target = archiveFile(runsDir, location.kind, location.runId);
  const folder = dirname(target);
  const tmp = join(folder, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  await storeOp('mkdir', folder, () => makeDirectory(folder));
  const entries = [MANIFEST_FILE, ...manifest.files.map((file) => file.path)].map((path) => `${location.runId}/${path}`);
  try {
    await storeOp('write', tmp, async () => {
      const { create } = await import('tar');
      await create({ gzip: true, file: tmp, cwd: join(runsDir, KIND_FOLDERS[location.kind]), portable: true, noDirRecurse: true }, entries);
      await chmod(tmp, FILE_MODE);
      await syncPath(tmp);
    });
    faultPoint('packed');
    await storeOp('rename', target, () => rename(tmp, target));
  } finally {
    await rm(tmp, { force: true });
  }
  await storeOp('write', folder, () => syncPath(folder));
  faultPoint('placed');

  const problems = compareManifest(manifest.files, await hashArchive(target));
  if (problems.length > 0) {
    await rm(target, { force: true });
    throw new CorruptRunFileError(`the archive of run ${location.runId} does not match its manifest (${problems.slice(0, 3).join('; ')}); the run stays live`);
  }
  faultPoint('verified');
  await retireRunDirectory(runsDir, location);
}
