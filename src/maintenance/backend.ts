import type { RunKind } from '../model/index.js';
import {
  archiveRun,
  deleteArchive,
  finishInterruptedMoves,
  listArchives,
  openStoredRun,
  readArchiveManifest,
  retireRunDirectory,
  runDirectory,
  trimRunTrace,
  type CatalogChange,
  type RunFileEntry,
  type RunStore,
  type RunSummary,
} from '../store/index.js';

/** What taking a run out of the live store came to. */
export type RetireOutcome = 'done' | 'gone' | 'pinned';

/** One archive as the archival job sees it. */
export interface ArchiveRef {
  kind: RunKind;
  runId: string;
  /** The first millisecond of the month the run started (its archive's month folder). */
  monthStartMs: number;
}

/**
 * Where the jobs' decisions are carried out: the local runs dir, or the shared backend.
 * The jobs (jobs.ts) decide the same way on both; each method does one run's step and is
 * crash-safe, so the next run of the job finishes what one left.
 */
export interface JobBackend {
  /** Brings the index up to date before a job plans from it. */
  prepare(): Promise<void>;
  /** Cleans up after interrupted earlier runs; how many leftovers went. */
  recover(): Promise<number>;
  /** Takes a run out of the live store, archived or deleted, unless it is gone or pinned by now. */
  retire(run: RunSummary, archive: boolean, nowMs: number): Promise<RetireOutcome>;
  /** Thins a run's trace to its root and error spans. */
  trim(run: RunSummary): Promise<void>;
  /** The files of a live run, or null when it is no longer live. */
  files(run: RunSummary): Promise<RunFileEntry[] | null>;
  /** Runs `work` on the run's directory (a local copy on the shared backend), then keeps what it did. */
  change(run: RunSummary, work: (runDir: string) => Promise<void>): Promise<void>;
  /** Ends a pass (the local index takes the trims of the pass in one transaction). */
  finish(): Promise<void>;
  archives(): Promise<ArchiveRef[]>;
  /** When the archive was made (its manifest's archived_at), in ms. */
  archivedAt(archive: ArchiveRef): Promise<number>;
  deleteArchive(archive: ArchiveRef): Promise<void>;
}

/** The jobs on a local runs dir: they change the run directories in place. */
export function localBackend(store: RunStore): JobBackend {
  const { runsDir, catalog } = store;
  const trimmed: CatalogChange[] = [];
  const archiveFiles = new Map<string, string>();
  return {
    prepare: () => catalog.refresh(),
    recover: () => finishInterruptedMoves(runsDir),
    async retire(run, archive, nowMs) {
      const stored = await openStoredRun(runsDir, run.runId).catch(() => null);
      if (stored?.place !== 'live') {
        catalog.remove(run.runId);
        return 'gone';
      }
      if (await stored.pinned()) {
        catalog.markPinned(run.runId, true);
        return 'pinned';
      }
      if (archive) await archiveRun(runsDir, run, nowMs);
      else await retireRunDirectory(runsDir, run);
      catalog.remove(run.runId);
      return 'done';
    },
    async trim(run) {
      const { metadata } = await trimRunTrace(runsDir, run);
      trimmed.push({ upsert: run, written: { metadata } });
    },
    async files(run) {
      const stored = await openStoredRun(runsDir, run.runId).catch(() => null);
      return stored?.place === 'live' ? stored.list('') : null;
    },
    change: (run, work) => work(runDirectory(runsDir, run.kind, run.runId)),
    async finish() {
      // One index transaction for the pass: a first pass over a large store trims thousands.
      await catalog.apply(trimmed.splice(0));
    },
    async archives() {
      const found = await listArchives(runsDir);
      for (const archive of found) archiveFiles.set(archive.runId, archive.file);
      return found.map(({ kind, runId, monthStartMs }) => ({ kind, runId, monthStartMs }));
    },
    async archivedAt(archive) {
      return Date.parse((await readArchiveManifest(archiveFiles.get(archive.runId)!)).archived_at);
    },
    deleteArchive: (archive) => deleteArchive(archiveFiles.get(archive.runId)!),
  };
}
