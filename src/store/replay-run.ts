import { join } from 'node:path';
import type { RunRecord } from '../model/index.js';
import type { RunCatalog } from './catalog/catalog.js';
import { runDirectory } from './layout.js';
import { renderMetadata } from './metadata.js';
import { RunFiles } from './run-io.js';
import { publishRun } from './shared/publish.js';
import { sharedStoreOf, type SharedStore } from './shared/shared-store.js';
import { registerTraceRun } from './trace-map.js';
import { InvalidInputError } from '../lib/index.js';

/** The run a replay will fill, as {@link createReplayRun} writes it. */
export interface ReplayRunWrite {
  /** The replay's new trace id (the one its `TRACEPARENT` names). */
  traceId: string;
  /** The replay's run id, fixed from now on. */
  runId: string;
  /** The run as it is before its first span: `pending`, with `replayOf` set. */
  record: RunRecord;
  /** The original run's `input.json` bytes, copied unchanged. */
  input: Uint8Array;
}

/**
 * Creates the `pending` run of a replay (INTERFACE.md §7): its directory with `input.json`
 * (the original's bytes) and `metadata.yaml` (naming the replay's trace and `replay_of`),
 * made durable, then registered as the run of the replay's trace (trace-map.ts), so the
 * replay's spans land in this run and it keeps its id, also after a crash and whatever start
 * time they carry. Throws {@link StoreError} when the file system fails.
 */
export async function createReplayRun(runsDir: string, catalog: RunCatalog, write: ReplayRunWrite): Promise<void> {
  const shared = sharedStoreOf(runsDir);
  if (shared) return createSharedReplayRun(runsDir, shared, catalog, write);
  await writeReplayRun(runsDir, write);
  await registerTraceRun(catalog, write.traceId, { kind: write.record.kind, runId: write.runId });
}

/**
 * On the shared backend: the same run directory, published under the lock of the replay's
 * trace, so its row names the trace for every replica and the replay's spans land in it
 * whichever replica receives them; this replica's index has it at once.
 */
async function createSharedReplayRun(runsDir: string, store: SharedStore, catalog: RunCatalog, write: ReplayRunWrite): Promise<void> {
  const location = { kind: write.record.kind, runId: write.runId };
  await store.withTraceLock(write.traceId, async (tx) => {
    await writeReplayRun(runsDir, write);
    await publishRun(runsDir, store, location, tx);
  });
  const row = await store.index.row(write.runId);
  if (row?.traceId !== write.traceId) throw new InvalidInputError(`run ${write.runId} is not stored as the run of trace ${write.traceId}`);
  catalog.applyMirrored([{ runId: row.runId, entry: row.entry }]);
}

async function writeReplayRun(runsDir: string, write: ReplayRunWrite): Promise<void> {
  const { record, runId } = write;
  const dir = runDirectory(runsDir, record.kind, runId);
  const files = new RunFiles();
  files.makeDir(dir);
  files.writeAtomic(join(dir, 'input.json'), write.input);
  files.writeAtomic(join(dir, 'metadata.yaml'), renderMetadata(runId, record, { artifactsCount: 0 }));
  await files.syncWritten();
}
