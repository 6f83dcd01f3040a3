import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHeader } from '../crypt/index.js';
import { ConflictError } from '../lib/index.js';
import type { RunCatalog } from './catalog/catalog.js';
import { codecOf, EnvelopeCodec } from './codec.js';
import { deleteArchive } from './archive/list.js';
import { archiveFile } from './archive/layout.js';
import { parseMetadata } from './metadata.js';
import { listFiles } from './run-files.js';
import { unpublishRun } from './shared/publish.js';
import { CACHE_FOLDER, fetchDataKey, relativeKey, sharedRunKeyIds } from './shared/shared-run.js';
import { sharedStoreOf, type SharedStore } from './shared/shared-store.js';
import { openStoredRun, type StoredRun } from './stored-run.js';
import { removeRun } from './writer.js';

/** What {@link shredRun} did. */
export interface ShredResult {
  run_id: string;
  /** Where the run was: its live directory or its archive. */
  place: 'live' | 'archive';
  /** The data keys destroyed (none in a plaintext store: its files are only deleted). */
  keys_destroyed: string[];
}

/**
 * Crypto-shreds run `runId` (live or archived): destroys every data key its files name (the
 * run's own and, for adopted uploads, their trace's), so its content is unreadable
 * everywhere, copies and backups included; then deletes its directory or archive and its
 * index entry. In a plaintext store the files are only deleted. Throws NotFoundError when
 * there is no such run.
 */
export async function shredRun(runsDir: string, catalog: RunCatalog, runId: string): Promise<ShredResult> {
  const run = await openStoredRun(runsDir, runId);
  const shared = sharedStoreOf(runsDir);
  if (shared) return shredSharedRun(runsDir, shared, catalog, run);
  const codec = codecOf(join(runsDir, 'x'));
  const keyIds = new Set<string>();
  if (codec instanceof EnvelopeCodec) {
    keyIds.add(runId);
    const traceId = parseMetadata(await run.metadataText()).trace_id;
    if (typeof traceId === 'string') keyIds.add(`upload-${traceId}`);
    if (run.place === 'live') for (const id of await liveKeyIds(join(runsDir, run.kind === 'agent' ? 'agents' : 'workflows', runId))) keyIds.add(id);
    for (const id of keyIds) if (codec.keys.get(id) === null) keyIds.delete(id);
  }
  if (keyIds.has('store') || keyIds.has('index')) throw new ConflictError(`run ${runId} names a store key; not shredded`);
  const destroyed = codec instanceof EnvelopeCodec ? [...keyIds].filter((id) => codec.keys.destroy(id)) : [];
  if (run.place === 'live') await removeRun(runsDir, run.kind, runId);
  else await deleteArchive(archiveFile(runsDir, run.kind, runId));
  await catalog.apply([{ remove: runId }]);
  return { run_id: runId, place: run.place, keys_destroyed: destroyed.sort() };
}

/** The data key ids named in the headers of a live run directory's files. */
async function liveKeyIds(dir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const file of await listFiles(dir)) {
    const handle = await open(join(dir, file.path), 'r');
    try {
      const head = Buffer.alloc(300);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const header = parseHeader(head.subarray(0, bytesRead), file.path);
      if (header) ids.add(header.keyId);
    } catch {
      // A damaged header names no key: the file goes with the directory.
    } finally {
      await handle.close();
    }
  }
  return ids;
}

/**
 * Shreds a run of the shared backend, under the lock of its trace (no replica publishes it
 * meanwhile): destroys the wrapped key objects its files name (and this replica's copies of
 * them), then deletes its objects (or archive object) and tombstones its row, which tells
 * every replica's mirror. A staging copy or cached archive on this replica goes too.
 */
async function shredSharedRun(runsDir: string, store: SharedStore, catalog: RunCatalog, run: StoredRun): Promise<ShredResult> {
  const { kind, runId } = run;
  const codec = codecOf(join(runsDir, 'x'));
  const traceId = parseMetadata(await run.metadataText()).trace_id;
  const trace = typeof traceId === 'string' ? traceId : null;
  const destroyed = await store.withTraceLock(trace ?? runId, async (tx) => {
    const live = run.place === 'live';
    const keyIds = live ? await sharedRunKeyIds(runsDir, store, kind, runId) : new Set<string>();
    if (codec instanceof EnvelopeCodec) {
      keyIds.add(runId);
      if (trace !== null) keyIds.add(`upload-${trace}`);
      for (const id of keyIds) if (!(await fetchDataKey(runsDir, store, id))) keyIds.delete(id);
    } else keyIds.clear();
    if (keyIds.has('store') || keyIds.has('index')) throw new ConflictError(`run ${runId} names a store key; not shredded`);
    const ids = [...keyIds];
    if (codec instanceof EnvelopeCodec) {
      await store.objects.remove(ids.map((id) => relativeKey(runsDir, codec.keys.pathOf(id))));
      for (const id of ids) codec.keys.destroy(id);
    }
    if (live) await unpublishRun(runsDir, store, { kind, runId }, tx);
    else {
      // An archived run has no row: its archive object is all there is.
      await store.objects.remove([relativeKey(runsDir, archiveFile(runsDir, kind, runId))]);
      tx.changed({ runId, kind, deleted: true, entry: null });
    }
    return ids;
  });
  await removeRun(runsDir, kind, runId);
  await rm(join(runsDir, CACHE_FOLDER, 'archive', `${runId}.tar.gz`), { force: true });
  await catalog.apply([{ remove: runId }]);
  return { run_id: runId, place: run.place, keys_destroyed: destroyed.sort() };
}
