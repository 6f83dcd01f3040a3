import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import { errnoOf, storeOp } from './errors.js';
import { listEntries } from './artifacts.js';
import { isValidRunId } from './layout.js';
import { kindFolders } from './run-files.js';
import { writeStoredAtomic } from './stored-file.js';

/** One run directory in the live store. */
export interface StoredRunLocation {
  kind: RunKind;
  runId: string;
  dir: string;
}

/**
 * Every run directory of the live store (not `.archive/`), agents then workflows, each by
 * run id (so by start time). Names that are not run ids are skipped. Throws
 * {@link NotFoundError} when `runsDir` does not exist.
 */
export async function listRunLocations(runsDir: string): Promise<StoredRunLocation[]> {
  if (!(await exists(runsDir))) throw new NotFoundError(`there is no run store at ${runsDir}`);
  const found: StoredRunLocation[] = [];
  for (const { kind, dir } of kindFolders(runsDir)) {
    for (const runId of (await runIdsIn(dir)).sort()) found.push({ kind, runId, dir: join(dir, runId) });
  }
  return found;
}

/** The run ids in a kind folder (other names skipped); none when the folder does not exist. */
export async function runIdsIn(kindFolder: string): Promise<string[]> {
  return (await listEntries(kindFolder)).map((entry) => entry.name).filter(isValidRunId);
}

/** True when `path` exists; {@link StoreError} when the file system fails otherwise. */
export async function exists(path: string): Promise<boolean> {
  return storeOp('read', path, async () => {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  });
}

/** Replaces a run's `metadata.yaml` atomically: a reader sees the old file or the new one. */
export async function writeRunMetadata(location: StoredRunLocation, text: string): Promise<void> {
  const path = join(location.dir, 'metadata.yaml');
  await writeStoredAtomic(path, text);
}
