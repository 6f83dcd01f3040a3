import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, writeFileAtomic } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import { errnoOf, storeOp } from './errors.js';
import { KIND_FOLDERS, isValidRunId, runDirectory } from './layout.js';

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
  if ((await namesIn(runsDir)) === null) throw new NotFoundError(`there is no run store at ${runsDir}`);
  const found: StoredRunLocation[] = [];
  for (const kind of ['agent', 'workflow'] as const) {
    const names = (await namesIn(join(runsDir, KIND_FOLDERS[kind]))) ?? [];
    for (const runId of names.filter(isValidRunId).sort()) found.push({ kind, runId, dir: runDirectory(runsDir, kind, runId) });
  }
  return found;
}

/** The entries of a directory; null when it does not exist. */
function namesIn(dir: string): Promise<string[] | null> {
  return storeOp('readdir', dir, async () => {
    try {
      return await readdir(dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw err;
    }
  });
}

/** Replaces a run's `metadata.yaml` atomically: a reader sees the old file or the new one. */
export async function writeRunMetadata(location: StoredRunLocation, text: string): Promise<void> {
  const path = join(location.dir, 'metadata.yaml');
  await storeOp('write', path, () => writeFileAtomic(path, text));
}
