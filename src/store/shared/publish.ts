import { join } from 'node:path';
import { Limiter } from '../../lib/index.js';
import { readCatalogEntry, type RunContent } from '../catalog/entry.js';
import { CorruptRunFileError } from '../errors.js';
import { runDirectory } from '../layout.js';
import type { RunRef } from '../writer.js';
import type { RunChange } from './postgres.js';
import { relativeKey } from './shared-run.js';
import { dataKeyFilesOf, localRunFiles, runFolder, TRANSFER_CONCURRENCY } from './run-folder.js';
import type { SharedStore, SharedTransaction } from './shared-store.js';

/** A run to publish: a reference, or what a writer has just written (its content spares a read back). */
export type PublishSource = RunRef | (RunRef & RunContent & { replaced?: RunRef | null });

/**
 * Publishes the local copy of a run to the shared backend: uploads its files' stored bytes
 * (sealed as they are on disk) to `<kind folder>/<run_id>/...`, and the wrapped data keys
 * they name when the store is encrypted; deletes the objects of files the run no longer has;
 * then upserts its row (its catalog entry) in PG. When the write moved the run
 * (`replaced`), the old run's row is dropped in the same transaction and its objects after
 * the commit. Resolves with the run's new seq; the local copy stays (the caller drops it).
 * Throws TraceClaimedError when another run holds the trace (retry: the next attempt finds it).
 */
export async function publishRun(runsDir: string, store: SharedStore, run: PublishSource, tx?: SharedTransaction): Promise<string> {
  if (!tx) return store.withTransaction((inner) => publishRun(runsDir, store, run, inner));
  const ref: RunRef = { kind: run.kind, runId: run.runId };
  const written = 'metadata' in run ? run : undefined;
  const entry = await readCatalogEntry(runsDir, ref, written);
  if (entry === null) throw new CorruptRunFileError(`run ${ref.runId} has no readable metadata.yaml to publish`);
  const folder = runFolder(ref);
  const dir = runDirectory(runsDir, ref.kind, ref.runId);
  const files = await localRunFiles(runsDir, ref);
  const limiter = new Limiter(TRANSFER_CONCURRENCY);
  const keyFiles = await dataKeyFilesOf(runsDir, files.map((file) => `${folder}/${file}`));
  await Promise.all([
    ...files.map((file) => limiter.run(() => store.objects.putFile(`${folder}/${file}`, join(dir, file)))),
    ...keyFiles.map((file) => limiter.run(() => store.objects.putFile(relativeKey(runsDir, file), file))),
  ]);
  const kept = new Set(files);
  const stale = (await store.objects.list(folder)).filter((object) => !kept.has(object.path));
  await store.objects.remove(stale.map((object) => `${folder}/${object.path}`));

  const replaced = 'replaced' in run ? (run.replaced ?? null) : null;
  if (replaced) await unpublishRun(runsDir, store, replaced, tx);
  const replayOf = typeof entry.metadata.replay_of === 'string' ? entry.metadata.replay_of : null;
  const seq = await store.index.publish(
    { kind: ref.kind, runId: ref.runId, traceId: entry.traceId, status: entry.status, replayOf, pinned: entry.pinned, entry },
    tx.client,
  );
  store.setLocalSeq(ref.runId, seq);
  const change: RunChange = { runId: ref.runId, kind: ref.kind, deleted: false, entry };
  tx.changed(change);
  return seq;
}

/**
 * Removes a run from the shared backend: its row becomes a tombstone in the transaction,
 * its objects go after the commit (a crash between leaves unreferenced objects, never a row
 * naming missing ones). Its data keys stay: shredding destroys those.
 */
export async function unpublishRun(runsDir: string, store: SharedStore, ref: RunRef, tx?: SharedTransaction): Promise<void> {
  if (!tx) return store.withTransaction((inner) => unpublishRun(runsDir, store, ref, inner));
  await store.index.remove(ref.runId, tx.client);
  store.setLocalSeq(ref.runId, undefined);
  tx.changed({ runId: ref.runId, kind: ref.kind, deleted: true, entry: null });
  const folder = runFolder(ref);
  tx.afterCommit(async () => {
    const objects = await store.objects.list(folder);
    await store.objects.remove(objects.map((object) => `${folder}/${object.path}`));
  });
}
