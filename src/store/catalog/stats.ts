import { InvalidInputError } from '../../lib/index.js';
import type { RunKind, StatsGroup } from '../../model/index.js';
import type { StatsRow } from './catalog.js';

/** What `runs stats --by` groups on. */
export type StatsDimension = 'agent' | 'workflow' | 'model' | 'status' | 'project' | 'session';

/** The dimensions `--by` accepts. */
export const STATS_DIMENSIONS: readonly StatsDimension[] = ['agent', 'workflow', 'model', 'status', 'project', 'session'];

/** Throws {@link InvalidInputError} unless `by` is a stats dimension. */
export function checkDimension(by: string): StatsDimension {
  if (!(STATS_DIMENSIONS as readonly string[]).includes(by)) {
    throw new InvalidInputError(`--by "${by}" is not one of ${STATS_DIMENSIONS.join(', ')}`);
  }
  return by as StatsDimension;
}

/** The run kind a dimension applies to: `agent` groups agent runs, `workflow` workflow runs. */
export function kindOfDimension(by: StatsDimension | undefined): RunKind | undefined {
  return by === 'agent' || by === 'workflow' ? by : undefined;
}

/** Groups rows by `by` (one `*` group without it), the costliest group first. */
export function computeStats(rows: readonly StatsRow[], by: StatsDimension | undefined): StatsGroup[] {
  const groups = new Map<string | null, StatsRow[]>();
  for (const row of rows) {
    const key = keyOf(row, by);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups].map(([key, members]) => summarize(key, members)).sort((a, b) => b.cost_usd - a.cost_usd || b.count - a.count);
}

/** The group of `row` under `by` (`*` without it). */
export function keyOf(row: StatsRow, by: StatsDimension | undefined): string | null {
  switch (by) {
    case undefined:
      return '*';
    case 'agent':
    case 'workflow':
      return row.subject;
    default:
      return row[by];
  }
}

/** The figures of one group of rows. */
export function summarize(key: string | null, rows: readonly StatsRow[]): StatsGroup {
  const durations = rows.flatMap((r) => (r.duration_s === null ? [] : [r.duration_s])).sort((a, b) => a - b);
  return {
    key,
    count: rows.length,
    failures: rows.filter((r) => r.status === 'failed').length,
    tokens: rows.reduce((sum, r) => sum + r.tokens, 0),
    cost_usd: Number(rows.reduce((sum, r) => sum + r.cost, 0).toFixed(10)),
    p50_duration_seconds: percentile(durations, 0.5),
    p95_duration_seconds: percentile(durations, 0.95),
  };
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? null;
}
