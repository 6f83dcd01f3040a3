import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';
import { errnoOf, storeOp } from './errors.js';
import { KIND_FOLDERS, runDirectory } from './layout.js';
import type { SharedStore } from './shared/shared-store.js';
import { exists } from './reader.js';
import type { RunRef } from './writer.js';

// A marker file rather than a metadata field: the writer rewrites metadata.yaml when late
// spans arrive and would drop the flag; it never deletes other files.
const PIN_FILE = '.pinned';

/** True when the run carries the pin marker: retention must never remove it. */
export async function isPinned(runsDir: string, location: RunRef): Promise<boolean> {
  const path = join(runDirectory(runsDir, location.kind, location.runId), PIN_FILE);
  return storeOp('read', path, async () => {
    try {
      await readFile(path);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  });
}

/** Pins (`true`) or unpins a run; doing it twice is harmless. */
export async function setPinned(runsDir: string, location: RunRef, pinned: boolean): Promise<void> {
  const path = join(runDirectory(runsDir, location.kind, location.runId), PIN_FILE);
  if (pinned) await storeOp('write', path, () => writeFileAtomic(path, pinMarker()));
  else await storeOp('remove', path, () => rm(path, { force: true }));
}

/**
 * Pins or unpins a run of the shared backend: its marker object and its row (which tells
 * every replica's mirror), under the lock of its trace, so a replica writing late spans into
 * the run at the same time publishes after the pin, from a copy that has it. A staging copy
 * on this replica gets the marker too. Resolves with whether the shared index has the run.
 */
export async function setSharedPinned(runsDir: string, store: SharedStore, location: RunRef, traceId: string | null, pinned: boolean): Promise<boolean> {
  const object = `${KIND_FOLDERS[location.kind]}/${location.runId}/${PIN_FILE}`;
  return store.withTraceLock(traceId ?? location.runId, async (tx) => {
    if (pinned) await store.objects.put(object, pinMarker());
    else await store.objects.remove([object]);
    if (!(await store.index.setPinned(location.runId, pinned, tx.client))) return false;
    const row = await store.index.row(location.runId, tx.client);
    if (row) tx.changed({ runId: row.runId, kind: row.kind, deleted: false, entry: row.entry });
    // This replica's staging copy, if it has one, is republished with the marker.
    if (await exists(join(runDirectory(runsDir, location.kind, location.runId), 'metadata.yaml'))) await setPinned(runsDir, location, pinned);
    return true;
  });
}

/** The marker's content: when the run was pinned. */
function pinMarker(): string {
  return `${new Date().toISOString()}\n`;
}
