import { InvalidInputError } from '../../lib/index.js';
import type { SeriesLine, StatsSeries } from '../../model/index.js';
import type { StatsRow } from './catalog.js';
import { keyOf, summarize, type StatsDimension } from './stats.js';

/** A time window cut into equal buckets. */
export interface SeriesWindow {
  sinceMs: number;
  untilMs: number;
  stepMs: number;
}

/** Most buckets one answer holds. */
export const MAX_BUCKETS = 1_000;
/** Most groups given a line of their own; the others are summed into one `other` line. */
export const MAX_SERIES = 10;
// Steps chosen when none is asked for: the smallest giving at most TARGET_BUCKETS buckets.
const NICE_STEPS_MS = [60, 300, 900, 3_600, 10_800, 21_600, 43_200, 86_400, 604_800].map((s) => s * 1000);
const TARGET_BUCKETS = 120;

/**
 * The window's step when the caller gave none: the smallest "round" step (1m, 5m, 15m, 1h,
 * 3h, 6h, 12h, 1d, 1w) that cuts it into at most 120 buckets.
 */
export function defaultStepMs(sinceMs: number, untilMs: number): number {
  const span = Math.max(0, untilMs - sinceMs);
  return NICE_STEPS_MS.find((step) => span / step <= TARGET_BUCKETS) ?? NICE_STEPS_MS.at(-1)!;
}

/**
 * Buckets `rows` (runs started in the window) by start time and by `by`, computing the
 * figures of `runs stats` for each. Throws {@link InvalidInputError} for an empty window, a
 * step under a second, or more than {@link MAX_BUCKETS} buckets.
 */
export function computeSeries(rows: readonly StatsRow[], by: StatsDimension | undefined, window: SeriesWindow): StatsSeries {
  const { sinceMs, untilMs, stepMs } = window;
  if (!(untilMs > sinceMs)) throw new InvalidInputError('since must be before until');
  if (!(stepMs >= 1000)) throw new InvalidInputError('step must be at least 1s');
  const first = Math.floor(sinceMs / stepMs) * stepMs;
  const count = Math.floor((untilMs - first) / stepMs) + 1;
  if (count > MAX_BUCKETS) {
    throw new InvalidInputError(`since, until and step make ${count} buckets; at most ${MAX_BUCKETS} (use a larger step)`);
  }
  const groups = new Map<string | null, StatsRow[][]>();
  for (const row of rows) {
    if (row.started_ms === null) continue;
    const bucket = Math.floor((row.started_ms - first) / stepMs);
    if (bucket < 0 || bucket >= count) continue;
    const key = keyOf(row, by);
    let buckets = groups.get(key);
    if (!buckets) groups.set(key, (buckets = Array.from({ length: count }, () => [])));
    buckets[bucket]!.push(row);
  }
  const ranked = [...groups].map(([key, buckets]) => ({ key, buckets, total: summarize(key, buckets.flat()) }));
  ranked.sort((a, b) => b.total.count - a.total.count || b.total.cost_usd - a.total.cost_usd);
  const lines = ranked.slice(0, MAX_SERIES).map(({ key, buckets }) => line(key, buckets));
  const rest = ranked.slice(MAX_SERIES);
  if (rest.length > 0) {
    const merged = Array.from({ length: count }, (_, i) => rest.flatMap((group) => group.buckets[i]!));
    lines.push({ ...line(null, merged), other: true });
  }
  return {
    by: by ?? null,
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    step_seconds: stepMs / 1000,
    buckets: Array.from({ length: count }, (_, i) => (first + i * stepMs) / 1000),
    series: lines,
  };
}

function line(key: string | null, buckets: readonly StatsRow[][]): SeriesLine {
  const figures = buckets.map((rows) => summarize(key, rows));
  return {
    key,
    count: figures.map((f) => f.count),
    failures: figures.map((f) => f.failures),
    tokens: figures.map((f) => f.tokens),
    cost_usd: figures.map((f) => f.cost_usd),
    p50_duration_seconds: figures.map((f) => f.p50_duration_seconds),
    p95_duration_seconds: figures.map((f) => f.p95_duration_seconds),
  };
}
