/**
 * The four maintenance jobs (INTERFACE.md §6), carrying out what `policy.ts` decides. Each
 * run is handled on its own: a failure is reported and the job goes on with the next, and
 * every step is crash-safe, so the next run of the job finishes what one left.
 */
import { describeError } from '../lib/index.js';
import type { MaintenanceJob } from '../model/index.js';
import {
  archiveRun,
  compressRunFile,
  deleteArchive,
  finishInterruptedMoves,
  listArchives,
  openStoredRun,
  readArchiveManifest,
  retireRunDirectory,
  runDirectory,
  trimRunTrace,
  type CatalogChange,
  type RunStore,
  type RunSummary,
} from '../store/index.js';
import {
  isArchiveExpired,
  keptPerSubject,
  planRetention,
  planSampling,
  retentionAgeMs,
  type RunsPolicy,
} from './policy.js';

/** What one job run works with. */
export interface JobContext {
  store: RunStore;
  policy: RunsPolicy;
  nowMs: number;
  /** Decide and report, change nothing. */
  dryRun: boolean;
  /** Retention only: the age past which runs leave, instead of `retention_days`. */
  olderThanMs?: number;
  /** Aborted when the daemon stops or the lease is lost: the job stops between runs. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** One thing a job did (or, in a dry run, would do). */
export interface JobAction {
  action: 'archive' | 'delete' | 'trim' | 'compress' | 'expire';
  run_id: string;
  kind: string;
  /** agent_id or workflow_id, when known. */
  id: string | null;
  /** Why: `count`, `age`, `sample`, a file path, `archive_retention_days`. */
  reason: string;
  /** Set when doing it failed; the run is left as it was. */
  error?: string;
  /** Set when it was not done after all, and why (the run changed since it was planned). */
  skipped?: string;
}

/** What a job run did. */
export interface JobReport {
  job: MaintenanceJob;
  dry_run: boolean;
  actions: JobAction[];
  /** Leftovers of interrupted earlier runs that were cleaned up. */
  recovered: number;
  /** Actions that failed (also marked in `actions`). */
  failed: number;
}

/** Runs one job. */
export function runJob(job: MaintenanceJob, ctx: JobContext): Promise<JobReport> {
  return JOBS[job](ctx);
}

const JOBS: Record<MaintenanceJob, (ctx: JobContext) => Promise<JobReport>> = {
  retention,
  sampling,
  compression,
  archival,
};

/** Retention: runs past the kept count or age leave the live store, archived or deleted. */
async function retention(ctx: JobContext): Promise<JobReport> {
  const { store, policy, dryRun } = ctx;
  const recovered = dryRun ? 0 : await finishInterruptedMoves(store.runsDir);
  await store.catalog.refresh();
  const maxAge = ctx.olderThanMs ?? retentionAgeMs(policy);
  const leaving = planRetention(store.catalog.summaries(), keptPerSubject(policy), maxAge, ctx.nowMs);
  const action = policy.archive ? 'archive' : 'delete';
  const actions = leaving.map(({ run, reason }) => actionFor(action, run, reason));
  await forEach(ctx, actions, async (entry, index) => {
    const location = leaving[index]!.run;
    const stored = await openStoredRun(store.runsDir, location.runId).catch(() => null);
    if (stored?.place !== 'live') {
      store.catalog.remove(location.runId);
      entry.skipped = 'no longer in the live store';
    } else if (await stored.pinned()) {
      store.catalog.markPinned(location.runId, true);
      entry.skipped = 'pinned since the index was read';
    } else {
      if (action === 'archive') await archiveRun(store.runsDir, location, ctx.nowMs);
      else await retireRunDirectory(store.runsDir, location);
      store.catalog.remove(location.runId);
    }
  });
  return report('retention', ctx, actions, recovered);
}

/** Sampling: older runs outside the kept sample keep only their root and error spans. */
async function sampling(ctx: JobContext): Promise<JobReport> {
  const { store, policy } = ctx;
  await store.catalog.refresh();
  const runs = planSampling(store.catalog.summaries(), policy.traces);
  const actions = runs.map((run) => actionFor('trim', run, 'sample'));
  const trimmed: CatalogChange[] = [];
  await forEach(ctx, actions, async (_entry, index) => {
    const run = runs[index]!;
    const { metadata } = await trimRunTrace(store.runsDir, run);
    trimmed.push({ upsert: run, written: { metadata } });
  });
  // One index transaction for the pass: a first pass over a large store trims thousands.
  await store.catalog.apply(trimmed);
  return report('sampling', ctx, actions, 0);
}

/** Compression: artifacts over `compress_over_bytes` are gzip-compressed in place. */
async function compression(ctx: JobContext): Promise<JobReport> {
  const { store, policy } = ctx;
  await store.catalog.refresh();
  const runs = store.catalog.summaries();
  const actions: JobAction[] = [];
  for (const [index, run] of runs.entries()) {
    if (ctx.signal?.aborted) break;
    const stored = await openStoredRun(store.runsDir, run.runId).catch(() => null);
    if (stored?.place !== 'live') continue;
    for (const file of await stored.list('')) {
      if (file.compressed || file.size <= policy.artifacts.compress_over_bytes || !isArtifact(file.path)) continue;
      const entry = actionFor('compress', run, file.path);
      actions.push(entry);
      if (!ctx.dryRun) await attempt(entry, () => compressRunFile(runDirectory(store.runsDir, run.kind, run.runId), file.path));
    }
    ctx.onProgress?.(index + 1, runs.length);
  }
  return report('compression', ctx, actions, 0);
}

/** Archival: finishes interrupted moves and deletes archives past `archive_retention_days`. */
async function archival(ctx: JobContext): Promise<JobReport> {
  const { store, policy, nowMs } = ctx;
  const recovered = ctx.dryRun ? 0 : await finishInterruptedMoves(store.runsDir);
  // An archive is never older than its run: months that started within the window are skipped unread.
  const archives = (await listArchives(store.runsDir)).filter((a) => isArchiveExpired(a.monthStartMs, nowMs, policy));
  const actions: JobAction[] = [];
  for (const [index, archive] of archives.entries()) {
    if (ctx.signal?.aborted) break;
    ctx.onProgress?.(index + 1, archives.length);
    const entry: JobAction = { action: 'expire', run_id: archive.runId, kind: archive.kind, id: null, reason: 'archive_retention_days' };
    let expired = false;
    // A damaged archive is reported, never deleted unread.
    await attempt(entry, async () => {
      expired = isArchiveExpired(Date.parse((await readArchiveManifest(archive.file)).archived_at), nowMs, policy);
    });
    if (!expired && entry.error === undefined) continue;
    actions.push(entry);
    if (expired && !ctx.dryRun) await attempt(entry, () => deleteArchive(archive.file));
  }
  return report('archival', ctx, actions, recovered);
}

const ARTIFACT_PATH = /^(steps\/[^/]+\/)?artifacts\//;

function isArtifact(path: string): boolean {
  return ARTIFACT_PATH.test(path);
}

function actionFor(action: JobAction['action'], run: RunSummary, reason: string): JobAction {
  return { action, run_id: run.runId, kind: run.kind, id: run.subject, reason };
}

/**
 * Does `work` for each action unless the run is a dry run, marking failures on the action,
 * reporting progress and stopping early when the job is aborted.
 */
async function forEach(ctx: JobContext, actions: JobAction[], work: (entry: JobAction, index: number) => Promise<void>): Promise<void> {
  for (const [index, entry] of actions.entries()) {
    if (ctx.signal?.aborted) {
      actions.splice(index);
      break;
    }
    if (!ctx.dryRun) await attempt(entry, () => work(entry, index));
    ctx.onProgress?.(index + 1, actions.length);
  }
}

async function attempt(entry: JobAction, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    entry.error = describeError(err);
  }
}

function report(job: MaintenanceJob, ctx: JobContext, actions: JobAction[], recovered: number): JobReport {
  const failed = actions.filter((a) => a.error !== undefined).length;
  return { job, dry_run: ctx.dryRun, actions, recovered, failed };
}
