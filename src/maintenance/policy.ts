/**
 * The decisions of the maintenance jobs, as pure functions of the runs and the policy: which
 * runs leave the live store, whose traces are trimmed, which archives expire. The jobs only
 * carry them out.
 */
import { createHash } from 'node:crypto';
import type { MaintenanceJob } from '../model/index.js';
import type { RunSummary } from '../store/index.js';

/** The `runs` settings the jobs follow (INTERFACE.md §6). */
export interface RunsPolicy {
  readonly mode: 'lite' | 'standard' | 'full';
  readonly retention_days: number;
  readonly max_runs_per_agent: number | null;
  readonly archive: boolean;
  readonly archive_retention_days: number;
  readonly artifacts: { readonly compress_over_bytes: number };
  readonly traces: { readonly sample_after_runs: number; readonly sample_rate: number };
  readonly schedules: Readonly<Record<MaintenanceJob, string>>;
}


/** Why a run leaves the live store. */
export type LeaveReason = 'count' | 'age';

/** A run retention takes out of the live store. */
export interface Leaving {
  run: RunSummary;
  reason: LeaveReason;
}

const DAY_MS = 86_400_000;
const MODE_COUNTS = { lite: 10, standard: 50, full: Number.POSITIVE_INFINITY } as const;
// Runs not finished yet are still being written; they neither leave nor take a place.
const UNFINISHED = new Set(['running', 'pending']);

/** How many finished runs each agent/workflow keeps: the mode's count unless `max_runs_per_agent` is set. */
export function keptPerSubject(policy: Pick<RunsPolicy, 'mode' | 'max_runs_per_agent'>): number {
  return policy.max_runs_per_agent ?? MODE_COUNTS[policy.mode];
}

/**
 * The runs retention takes out of the live store: per agent/workflow (kind and id), newest
 * first, the finished runs past the kept count (`count`), and any finished run that started
 * more than `maxAgeMs` before `nowMs` (`age`). Pinned and unfinished runs always stay and do
 * not count. A run whose start is unknown is judged by count only.
 */
export function planRetention(runs: readonly RunSummary[], keep: number, maxAgeMs: number, nowMs: number): Leaving[] {
  const leaving: Leaving[] = [];
  const seen = new Map<string, number>();
  for (const run of [...runs].sort(newestFirst)) {
    if (run.pinned || UNFINISHED.has(run.status ?? '')) continue;
    const group = `${run.kind}\u0000${run.subject ?? ''}`;
    const rank = (seen.get(group) ?? 0) + 1;
    seen.set(group, rank);
    if (run.startedMs !== null && nowMs - run.startedMs > maxAgeMs) leaving.push({ run, reason: 'age' });
    else if (rank > keep) leaving.push({ run, reason: 'count' });
  }
  return leaving;
}

/** `retention_days` as milliseconds. */
export function retentionAgeMs(policy: Pick<RunsPolicy, 'retention_days'>): number {
  return policy.retention_days * DAY_MS;
}

/**
 * True when a trace falls in the kept sample: the first 8 bytes of the SHA-256 of its id,
 * read as a fraction of 2^64, fall below `rate`. The same id always gives the same answer,
 * on every daemon, so a rerun never trims a trace an earlier run kept.
 */
export function inTraceSample(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  const head = createHash('sha256').update(traceId.toLowerCase()).digest().readBigUInt64BE(0);
  return Number(head) / 2 ** 64 < rate;
}

/**
 * The runs whose trace.json sampling trims: per agent/workflow, past the newest
 * `sample_after_runs` runs, every run still whole that is finished and not failed, not
 * pinned, and whose trace is not in the kept sample.
 */
export function planSampling(runs: readonly RunSummary[], traces: RunsPolicy['traces']): RunSummary[] {
  const trimmed: RunSummary[] = [];
  const seen = new Map<string, number>();
  for (const run of [...runs].sort(newestFirst)) {
    const group = `${run.kind}\u0000${run.subject ?? ''}`;
    const rank = (seen.get(group) ?? 0) + 1;
    seen.set(group, rank);
    if (rank <= traces.sample_after_runs || !run.traceWhole || run.pinned) continue;
    if (run.status !== 'completed' || run.traceId === null) continue;
    if (!inTraceSample(run.traceId, traces.sample_rate)) trimmed.push(run);
  }
  return trimmed;
}

/** True when an archive made at `archivedAtMs` is past `archive_retention_days` at `nowMs`. */
export function isArchiveExpired(archivedAtMs: number, nowMs: number, policy: Pick<RunsPolicy, 'archive_retention_days'>): boolean {
  return nowMs - archivedAtMs > policy.archive_retention_days * DAY_MS;
}

function newestFirst(a: RunSummary, b: RunSummary): number {
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}
