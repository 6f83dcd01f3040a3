import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FILE_MODE, makeDirectory, NotFoundError } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import {
  ARCHIVE_FOLDER,
  archiveFile,
  archiveRun,
  checkoutRun,
  deleteArchive,
  dropLocalCopy,
  finishInterruptedMoves,
  KIND_FOLDERS,
  openStoredRun,
  publishRun,
  readArchiveManifest,
  runDirectory,
  runIdOfArchive,
  trimRunTrace,
  unpublishRun,
  type RunStore,
  type RunSummary,
  type SharedStore,
} from '../store/index.js';
import type { ArchiveRef, JobBackend } from './backend.js';

/** Where archives are downloaded to have their manifest read, under the runs dir. */
const SCRATCH_FOLDER = join('.cache', 'maintenance');
const ARCHIVE_PATH = /^([a-z]+)\/(\d{4})\/(0[1-9]|1[0-2])\/([^/]+)$/;

/**
 * The jobs on the shared backend. Each step on a run holds the run's trace lock (as every
 * writer of the run does, on every replica), checks the run out into this replica's runs dir,
 * runs the local step on that copy and publishes the result, or removes the run's objects
 * and row: the same code decides and changes runs as in local mode, and a late span on
 * another replica waits for the step or comes after it.
 */
export function sharedBackend(store: RunStore, shared: SharedStore): JobBackend {
  const { runsDir, catalog } = store;
  const lockOf = (run: RunSummary): string => run.traceId ?? run.runId;

  /**
   * Checks the run out, runs `work` on the copy and publishes the result. A copy this
   * replica had before (a run it is writing) stays; one made for the job goes again.
   */
  const onCopy = (run: RunSummary, work: (runDir: string) => Promise<unknown>): Promise<void> =>
    shared.withTraceLock(lockOf(run), async (tx) => {
      const runDir = runDirectory(runsDir, run.kind, run.runId);
      const staged = await exists(runDir);
      if (!(await checkoutRun(runsDir, shared, run))) throw new NotFoundError(`run ${run.runId} is no longer in the shared store`);
      await work(runDir);
      await publishRun(runsDir, shared, run, tx);
      if (!staged) await dropLocalCopy(runsDir, shared, run);
    });

  const hasArchive = async (run: RunSummary): Promise<boolean> => {
    const key = archiveKey(run.kind, run.runId);
    const folder = key.slice(0, key.lastIndexOf('/'));
    return (await shared.objects.list(folder)).some((object) => `${folder}/${object.path}` === key);
  };

  /** Puts the run's local archive into object storage and removes the local file. */
  const uploadArchive = async (run: RunSummary): Promise<void> => {
    const file = archiveFile(runsDir, run.kind, run.runId);
    await shared.objects.putFile(archiveKey(run.kind, run.runId), file);
    await deleteArchive(file);
  };

  return {
    // A mirror catches up with the shared index: the plan sees what other replicas wrote.
    prepare: async () => {
      await catalog.follow();
    },
    recover: () => finishInterruptedMoves(runsDir),
    retire: (run, archive, nowMs) =>
      shared.withTraceLock(lockOf(run), async (tx) => {
        const row = await shared.index.row(run.runId, tx.client);
        if (row === null) return 'gone';
        if (row.pinned) return 'pinned';
        if (archive) {
          if (await checkoutRun(runsDir, shared, run)) {
            await archiveRun(runsDir, run, nowMs);
            await uploadArchive(run);
          } else if (!(await hasArchive(run))) {
            // (An earlier attempt that stored the archive and removed the objects has only the row left to remove.)
            throw new NotFoundError(`run ${run.runId} has neither objects nor an archive in the shared store`);
          }
        }
        await unpublishRun(runsDir, shared, run, tx);
        await dropLocalCopy(runsDir, shared, run);
        return 'done';
      }),
    trim: (run) => onCopy(run, () => trimRunTrace(runsDir, run)),
    async files(run) {
      const stored = await openStoredRun(runsDir, run.runId).catch(() => null);
      return stored?.place === 'live' ? stored.list('') : null;
    },
    change: onCopy,
    finish: async () => undefined,
    async archives() {
      const found: ArchiveRef[] = [];
      for (const object of await shared.objects.list(ARCHIVE_FOLDER)) {
        const match = ARCHIVE_PATH.exec(object.path);
        const kind = match ? kindOfFolder(match[1]!) : null;
        const runId = match ? runIdOfArchive(match[4]!) : null;
        if (kind === null || runId === null) continue;
        found.push({ kind, runId, monthStartMs: Date.UTC(Number(match![2]), Number(match![3]) - 1, 1) });
      }
      return found;
    },
    async archivedAt(archive) {
      const folder = join(runsDir, SCRATCH_FOLDER);
      await makeDirectory(folder);
      const file = join(folder, `${archive.runId}.${randomBytes(6).toString('hex')}.tar.gz`);
      try {
        await pipeline(await shared.objects.open(archiveKey(archive.kind, archive.runId)), createWriteStream(file, { mode: FILE_MODE }));
        return Date.parse((await readArchiveManifest(file)).archived_at);
      } finally {
        await rm(file, { force: true });
      }
    },
    deleteArchive: (archive) => shared.objects.remove([archiveKey(archive.kind, archive.runId)]),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The object key of a run's archive: its runs-dir-relative local archive path (`.archive/agents/YYYY/MM/<id>.tar.gz`). */
function archiveKey(kind: RunKind, runId: string): string {
  return archiveFile('', kind, runId).split('\\').join('/');
}

function kindOfFolder(folder: string): RunKind | null {
  const found = (Object.entries(KIND_FOLDERS) as [RunKind, string][]).find(([, name]) => name === folder);
  return found ? found[0] : null;
}
