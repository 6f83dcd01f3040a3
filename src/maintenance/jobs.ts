/**
 * The four maintenance jobs (INTERFACE.md §6), carrying out what `policy.ts` decides. Each
 * run is handled on its own: a failure is reported and the job goes on with the next, and
 * every step is crash-safe, so the next run of the job finishes what one left.
 */
import { describeError } from '../lib/index.js';
import type { MaintenanceJob } from '../model/index.js';
import { compressRunFile, sharedStoreOf, type RunStore, type RunSummary } from '../store/index.js';
import { localBackend, type JobBackend } from './backend.js';
import {
  isArchiveExpired,
  keptPerSubject,
  planRetention,
  planSampling,
  retentionAgeMs,
  type RunsPolicy,
} from './policy.js';
import { sharedBackend } from './shared-backend.js';

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

/** Runs one job, on the store's backend: the local runs dir, or the shared store it stages for. */
export function runJob(job: MaintenanceJob, ctx: JobContext): Promise<JobReport> {
  const shared = sharedStoreOf(ctx.store.runsDir);
  return JOBS[job](ctx, shared ? sharedBackend(ctx.store, shared) : localBackend(ctx.store));
}

const JOBS: Record<MaintenanceJob, (ctx: JobContext, backend: JobBackend) => Promise<JobReport>> = {
  retention,
  sampling,
  compression,
  archival,
};

/** Retention: runs past the kept count or age leave the live store, archived or deleted. */
async function retention(ctx: JobContext, backend: JobBackend): Promise<JobReport> {
  const { store, policy, dryRun } = ctx;
  const recovered = dryRun ? 0 : await backend.recover();
  await backend.prepare();
  const maxAge = ctx.olderThanMs ?? retentionAgeMs(policy);
  const leaving = planRetention(store.catalog.summaries(), keptPerSubject(policy), maxAge, ctx.nowMs);
  const action = policy.archive ? 'archive' : 'delete';
  const actions = leaving.map(({ run, reason }) => actionFor(action, run, reason));
  await forEach(ctx, actions, async (entry, index) => {
    const outcome = await backend.retire(leaving[index]!.run, policy.archive, ctx.nowMs);
    if (outcome === 'gone') entry.skipped = 'no longer in the live store';
    else if (outcome === 'pinned') entry.skipped = 'pinned since the index was read';
  });
  return report('retention', ctx, actions, recovered);
}

/** Sampling: older runs outside the kept sample keep only their root and error spans. */
async function sampling(ctx: JobContext, backend: JobBackend): Promise<JobReport> {
  const { store, policy } = ctx;
  await backend.prepare();
  const runs = planSampling(store.catalog.summaries(), policy.traces);
  const actions = runs.map((run) => actionFor('trim', run, 'sample'));
  await forEach(ctx, actions, (_entry, index) => backend.trim(runs[index]!));
  await backend.finish();
  return report('sampling', ctx, actions, 0);
}

/** Compression: artifacts over `compress_over_bytes` are gzip-compressed in place. */
async function compression(ctx: JobContext, backend: JobBackend): Promise<JobReport> {
  const { store, policy } = ctx;
  await backend.prepare();
  const runs = store.catalog.summaries();
  const actions: JobAction[] = [];
  for (const [index, run] of runs.entries()) {
    if (ctx.signal?.aborted) break;
    const files = await backend.files(run).catch(() => null);
    const due = (files ?? []).filter((file) => !file.compressed && file.size > policy.artifacts.compress_over_bytes && isArtifact(file.path));
    const entries = due.map((file) => actionFor('compress', run, file.path));
    actions.push(...entries);
    if (!ctx.dryRun && entries.length > 0) {
      // One change per run (on the shared backend: one checkout and one publish), each file
      // attempted on its own; a failure of the change itself fails all of them.
      const changed = backend.change(run, async (runDir) => {
        for (const entry of entries) await attempt(entry, () => compressRunFile(runDir, entry.reason));
      });
      await changed.catch((err: unknown) => {
        for (const entry of entries) entry.error ??= describeError(err);
      });
    }
    ctx.onProgress?.(index + 1, runs.length);
  }
  return report('compression', ctx, actions, 0);
}

/** Archival: finishes interrupted moves and deletes archives past `archive_retention_days`. */
async function archival(ctx: JobContext, backend: JobBackend): Promise<JobReport> {
  const { policy, nowMs } = ctx;
  const recovered = ctx.dryRun ? 0 : await backend.recover();
  // An archive is never older than its run: months that started within the window are skipped unread.
  const archives = (await backend.archives()).filter((a) => isArchiveExpired(a.monthStartMs, nowMs, policy));
  const actions: JobAction[] = [];
  for (const [index, archive] of archives.entries()) {
    if (ctx.signal?.aborted) break;
    ctx.onProgress?.(index + 1, archives.length);
    const entry: JobAction = { action: 'expire', run_id: archive.runId, kind: archive.kind, id: null, reason: 'archive_retention_days' };
    let expired = false;
    // A damaged archive is reported, never deleted unread.
    await attempt(entry, async () => {
      expired = isArchiveExpired(await backend.archivedAt(archive), nowMs, policy);
    });
    if (!expired && entry.error === undefined) continue;
    actions.push(entry);
    if (expired && !ctx.dryRun) await attempt(entry, () => backend.deleteArchive(archive));
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
