import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_MODE, Limiter, makeDirectory } from '../../lib/index.js';
import { storeOp } from '../errors.js';
import { isValidRunId, KIND_FOLDERS, runDirectory } from '../layout.js';
import type { RunRef } from '../writer.js';
import { CACHE_FOLDER, fetchDataKey } from './shared-run.js';
import { envelopeKeyId, runFolder, TRANSFER_CONCURRENCY } from './run-folder.js';
import type { SharedStore } from './shared-store.js';

/** Where a checkout downloads before it takes the run directory's place. */
const CHECKOUT_FOLDER = 'checkout';

/**
 * Makes the local copy of a run the shared backend's: downloads its objects into a fresh
 * folder (files 0600, folders 0700), fetches the data keys their envelopes name into the
 * local key store, then puts the folder in the run directory's place. Resolves false (and
 * leaves the local copy alone) when the run has no objects. Records the run's seq (`seq`, or
 * its row's) as the local copy's. Call under the run's trace lock: the copy is current only
 * while no other replica writes the run.
 */
export async function checkoutRun(runsDir: string, store: SharedStore, ref: RunRef & { seq?: string }): Promise<boolean> {
  const seq = ref.seq ?? (await store.index.row(ref.runId))?.seq;
  const folder = runFolder(ref);
  const objects = await store.objects.list(folder);
  if (objects.length === 0) return false;
  const staging = join(runsDir, CACHE_FOLDER, CHECKOUT_FOLDER, `${ref.runId}.${randomBytes(6).toString('hex')}`);
  try {
    const limiter = new Limiter(TRANSFER_CONCURRENCY);
    const keyIds = new Set<string>();
    await Promise.all(
      objects.map((object) =>
        limiter.run(async () => {
          const file = join(staging, object.path);
          await storeOp('mkdir', dirname(file), () => makeDirectory(dirname(file)));
          const body = await store.objects.open(`${folder}/${object.path}`);
          await storeOp('write', file, () => pipeline(body, createWriteStream(file, { mode: FILE_MODE })));
          const keyId = await envelopeKeyId(file);
          if (keyId) keyIds.add(keyId);
        }),
      ),
    );
    for (const keyId of keyIds) await fetchDataKey(runsDir, store, keyId);
    const dir = runDirectory(runsDir, ref.kind, ref.runId);
    await storeOp('mkdir', join(runsDir, KIND_FOLDERS[ref.kind]), () => makeDirectory(join(runsDir, KIND_FOLDERS[ref.kind])));
    await storeOp('remove', dir, () => rm(dir, { recursive: true, force: true }));
    await storeOp('rename', dir, () => rename(staging, dir));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  store.setLocalSeq(ref.runId, seq);
  return true;
}

/**
 * Removes the local copy of a run (its published final state is the shared backend's now);
 * the runs dir then keeps only what is being written.
 */
export async function dropLocalCopy(runsDir: string, store: SharedStore, ref: RunRef): Promise<void> {
  const dir = runDirectory(runsDir, ref.kind, ref.runId);
  await storeOp('remove', dir, () => rm(dir, { recursive: true, force: true }));
  store.setLocalSeq(ref.runId, undefined);
}

/**
 * For a replica starting on the shared backend, before its write-ahead log replays: drops
 * the local copies of runs the shared store holds, and downloads a crash left half done. The
 * shared copy is the one to write on (anything written here after it was published is still
 * in the log, replayed next), and a final run's copy left by a crash would otherwise stay
 * forever. Returns how many run directories it kept: writes not published yet (the log
 * replays them into place), or a local store never migrated to the shared one.
 */
export async function sweepLocalCopies(runsDir: string, store: SharedStore): Promise<number> {
  const checkouts = join(runsDir, CACHE_FOLDER, CHECKOUT_FOLDER);
  await storeOp('remove', checkouts, () => rm(checkouts, { recursive: true, force: true }));
  let kept = 0;
  for (const kind of ['agent', 'workflow'] as const) {
    const folder = join(runsDir, KIND_FOLDERS[kind]);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const runId of names.filter(isValidRunId)) {
      if (await store.index.row(runId)) await dropLocalCopy(runsDir, store, { kind, runId });
      else kept += 1;
    }
  }
  return kept;
}
