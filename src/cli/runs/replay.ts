import { ExitCode, InvalidInputError, parseDurationMs, parseTimeBound } from '../../lib/index.js';
import type { RunStatus } from '../../model/index.js';
import { compareRuns, readPair } from './compare.js';
import { renderComparison } from './diff.js';
import type { HttpSource } from './http-source.js';
import { limitFlag, openDaemon, printJson, type RunsFlags } from './options.js';
import { isRegression, renderBatch, replayAll, selectOriginals, type BatchSelection } from './replay-batch.js';
import { waitForEnd, type DaemonReplayRequest } from './replay-wait.js';

/** The flags of `paracle runs replay`. */
export interface ReplayFlags extends RunsFlags {
  model?: string;
  wait?: boolean;
  timeout?: string;
  agent?: string;
  workflow?: string;
  status?: string;
  since?: string;
  limit?: string;
  concurrency?: string;
  includeReplays?: boolean;
}

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

/**
 * `paracle runs replay RUN_ID [--model M] [--wait] [--timeout DUR]`, or with filters instead
 * of an id a batch (INTERFACE.md §7), always carried out by a daemon. A single replay prints
 * the new run id, or with `--wait` follows it and prints the comparison with its original;
 * it exits 4 when the replay failed. A batch prints one row per pair and a summary line,
 * and exits 4 when any replay failed where its original completed.
 */
export async function replayCommand(runId: string | undefined, flags: ReplayFlags): Promise<void> {
  const request = requestOf(flags);
  const selection = selectionOf(flags);
  if (runId !== undefined && selection !== null) {
    throw new InvalidInputError('give a run id or batch filters (--agent, --workflow, ...), not both');
  }
  if (runId === undefined && selection === null) throw new InvalidInputError('give a run id, or --agent A or --workflow W to replay a batch');
  const concurrency = concurrencyOf(flags.concurrency);
  const daemon = await openDaemon(flags, process.env);
  try {
    if (runId !== undefined) await replayOne(daemon, runId, request, flags);
    else await replayBatch(daemon, selection!, request, concurrency, flags);
  } finally {
    await daemon.close();
  }
}

async function replayOne(daemon: HttpSource, runId: string, request: DaemonReplayRequest, flags: ReplayFlags): Promise<void> {
  const started = await daemon.replay(runId, request);
  if (!flags.wait) {
    if (flags.json) printJson(started);
    else process.stdout.write(`${started.run_id}\n`);
    return;
  }
  const final = await waitForEnd(daemon, started.run_id);
  const comparison = compareRuns(await readPair(daemon, runId, started.run_id));
  if (flags.json) printJson(comparison);
  else {
    const why = typeof final.error === 'string' ? `: ${final.error}` : '';
    process.stdout.write(`replay ${started.run_id} of ${runId}: ${String(final.status)}${why}\n\n${renderComparison(comparison)}`);
  }
  if (final.status !== 'completed') process.exitCode = ExitCode.regression;
}

async function replayBatch(daemon: HttpSource, selection: BatchSelection, request: DaemonReplayRequest, concurrency: number, flags: ReplayFlags): Promise<void> {
  const originals = await selectOriginals(daemon, selection);
  const rows = await replayAll(daemon, originals, request, concurrency);
  if (flags.json) printJson(rows);
  else process.stdout.write(renderBatch(rows));
  if (rows.some(isRegression)) process.exitCode = ExitCode.regression;
}

function requestOf(flags: ReplayFlags): DaemonReplayRequest {
  const request: DaemonReplayRequest = {};
  if (flags.model !== undefined) request.model = flags.model;
  if (flags.timeout !== undefined) {
    const ms = parseDurationMs(flags.timeout);
    if (ms === null || ms <= 0) throw new InvalidInputError(`--timeout "${flags.timeout}" is not a duration (90s, 15m, 2h)`);
    request.timeout_s = ms / 1000;
  }
  return request;
}

/** The batch the flags select; null when no batch flag is given. */
function selectionOf(flags: ReplayFlags): BatchSelection | null {
  const batchOnly = { '--status': flags.status, '--since': flags.since, '--limit': flags.limit, '--concurrency': flags.concurrency, '--include-replays': flags.includeReplays };
  if (flags.agent === undefined && flags.workflow === undefined) {
    const stray = Object.entries(batchOnly).find(([, value]) => value !== undefined)?.[0];
    if (stray !== undefined) throw new InvalidInputError(`${stray} selects runs for a batch: give --agent or --workflow with it`);
    return null;
  }
  if (flags.agent !== undefined && flags.workflow !== undefined) throw new InvalidInputError('give --agent or --workflow, not both');
  return {
    query: {
      agent: flags.agent,
      workflow: flags.workflow,
      status: flags.status as RunStatus | undefined,
      sinceMs: flags.since === undefined ? undefined : parseTimeBound(flags.since, Date.now(), '--since'),
    },
    limit: flags.limit === undefined ? undefined : positiveLimit(flags.limit),
    includeReplays: flags.includeReplays === true,
  };
}

function positiveLimit(value: string): number {
  const limit = limitFlag(value, 0);
  if (limit < 1) throw new InvalidInputError(`--limit "${value}" must be at least 1`);
  return limit;
}

function concurrencyOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_CONCURRENCY)) throw new InvalidInputError(`--concurrency "${value}" must be a whole number from 1 to ${MAX_CONCURRENCY}`);
  return n;
}
