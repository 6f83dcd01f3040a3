import { MAX_LIMIT, type RunQuery } from '../../store/index.js';
import { costOf, outputOf, tokensOf } from './compare.js';
import { formatCost, formatDuration, renderTable } from './format.js';
import type { HttpSource } from './http-source.js';
import { sameOutput } from './output-diff.js';
import { progressBar } from './progress.js';
import { waitForEnd, type DaemonReplayRequest } from './replay-wait.js';

/** Which runs a batch replays (INTERFACE.md §7). */
export interface BatchSelection {
  query: Pick<RunQuery, 'agent' | 'workflow' | 'status' | 'sinceMs'>;
  /** At most this many originals, newest first; all when undefined. */
  limit: number | undefined;
  /** Also runs that are replays themselves. */
  includeReplays: boolean;
}

/** One original and its replay: a row of the table and of `--json`. */
export interface BatchRow {
  original_run_id: string;
  replay_run_id: string;
  status_before: unknown;
  status_after: unknown;
  tokens_before: number | null;
  tokens_after: number | null;
  cost_before: number | null;
  cost_after: number | null;
  duration_before: number | null;
  duration_after: number | null;
  output_changed: boolean;
}

/**
 * The originals of a batch, newest first: runs matching the query, without replays unless
 * asked for, and, unless a status is asked for, only finished ones (a pending or running
 * run has no outcome to compare with).
 */
export async function selectOriginals(daemon: HttpSource, selection: BatchSelection): Promise<Record<string, unknown>[]> {
  const chosen: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const page = await daemon.list({ ...selection.query, limit: MAX_LIMIT, cursor });
    for (const run of page.runs) {
      if (!selection.includeReplays && typeof run.replay_of === 'string') continue;
      if (selection.query.status === undefined && run.status !== 'completed' && run.status !== 'failed') continue;
      chosen.push(run);
      if (chosen.length === selection.limit) return chosen;
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return chosen;
}

/**
 * Replays each original, at most `concurrency` at a time, following each replay to its end;
 * rows come back in the originals' order. A progress bar is drawn on a terminal's stderr.
 */
export async function replayAll(
  daemon: HttpSource,
  originals: readonly Record<string, unknown>[],
  request: DaemonReplayRequest,
  concurrency: number,
): Promise<BatchRow[]> {
  const rows = new Array<BatchRow>(originals.length);
  const progress = progressBar(process.stderr, 'replaying', originals.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < originals.length; i = next++) {
      rows[i] = await replayOne(daemon, originals[i]!, request);
      progress.update(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, originals.length) }, worker));
  } finally {
    progress.end();
  }
  return rows;
}

/** A regression: the replay failed where its original completed. */
export function isRegression(row: BatchRow): boolean {
  return row.status_before === 'completed' && row.status_after === 'failed';
}

/** The table of a batch and its summary line. */
export function renderBatch(rows: readonly BatchRow[]): string {
  if (rows.length === 0) return 'no runs match: nothing replayed\n';
  const arrow = (a: string, b: string): string => (a === b ? a : `${a} -> ${b}`);
  const count = (n: number | null): string => (n === null ? '-' : String(n));
  const table = renderTable(
    ['', 'ORIGINAL', 'REPLAY', 'STATUS', 'TOKENS', 'COST', 'DURATION', 'OUTPUT'],
    rows.map((r) => [
      isRegression(r) ? '!' : ' ',
      r.original_run_id,
      r.replay_run_id,
      arrow(String(r.status_before), String(r.status_after)),
      arrow(count(r.tokens_before), count(r.tokens_after)),
      arrow(formatCost(r.cost_before), formatCost(r.cost_after)),
      arrow(formatDuration(r.duration_before), formatDuration(r.duration_after)),
      r.output_changed ? 'changed' : 'same',
    ]),
  );
  return `${table}\n${summary(rows)}\n`;
}

function summary(rows: readonly BatchRow[]): string {
  const completed = rows.filter((r) => r.status_after === 'completed').length;
  const failed = rows.filter((r) => r.status_after === 'failed').length;
  const regressions = rows.filter(isRegression).length;
  const changed = rows.filter((r) => r.output_changed).length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(rows.length, 'replay')}: ${completed} completed, ${failed} failed (${plural(regressions, 'regression')}), ${plural(changed, 'output')} changed`;
}

async function replayOne(daemon: HttpSource, original: Record<string, unknown>, request: DaemonReplayRequest): Promise<BatchRow> {
  const originalId = String(original.run_id);
  const { run_id: replayId } = await daemon.replay(originalId, request);
  const after = await waitForEnd(daemon, replayId);
  const [outBefore, outAfter] = await Promise.all([outputOf(daemon, originalId), outputOf(daemon, replayId)]);
  return {
    original_run_id: originalId,
    replay_run_id: replayId,
    status_before: original.status,
    status_after: after.status,
    tokens_before: tokensOf(original),
    tokens_after: tokensOf(after),
    cost_before: costOf(original),
    cost_after: costOf(after),
    duration_before: numberOrNull(original.duration_seconds),
    duration_after: numberOrNull(after.duration_seconds),
    output_changed: !sameOutput(outBefore, outAfter),
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
