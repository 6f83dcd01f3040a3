import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSeries, defaultStepMs, MAX_SERIES } from '../../../src/store/catalog/series.js';
import type { StatsRow } from '../../../src/store/catalog/catalog.js';
import { RunCatalog, RunStore } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { writeFixtureStore } from '../../helpers/fixture-store.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 6, 0, 0, 0);

function row(subject: string, startedMs: number, fields: Partial<StatsRow> = {}): StatsRow {
  return { kind: 'agent', subject, status: 'completed', model: 'gpt-4o', project: null, session: null, tokens: 10, cost: 0.01, duration_s: 1, started_ms: startedMs, ...fields };
}

describe('computeSeries', () => {
  it('buckets runs by start time, aligned to the step, with the figures of runs stats per bucket', () => {
    const rows = [
      row('coder', T0 + 10 * 60_000, { duration_s: 2 }),
      row('coder', T0 + 20 * 60_000, { status: 'failed', duration_s: 4, tokens: 5 }),
      row('coder', T0 + 2 * HOUR + 1, { duration_s: null, status: 'running' }),
      row('planner', T0 + HOUR, { cost: 0.5 }),
    ];
    const series = computeSeries(rows, 'agent', { sinceMs: T0 + 5 * 60_000, untilMs: T0 + 3 * HOUR - 1, stepMs: HOUR });
    expect(series.buckets).toEqual([T0 / 1000, T0 / 1000 + 3600, T0 / 1000 + 7200]);
    expect(series).toMatchObject({ by: 'agent', step_seconds: 3600 });
    expect(series.series).toEqual([
      { key: 'coder', count: [2, 0, 1], failures: [1, 0, 0], tokens: [15, 0, 10], cost_usd: [0.02, 0, 0.01], p50_duration_seconds: [2, null, null], p95_duration_seconds: [4, null, null] },
      { key: 'planner', count: [0, 1, 0], failures: [0, 0, 0], tokens: [0, 10, 0], cost_usd: [0, 0.5, 0], p50_duration_seconds: [null, 1, null], p95_duration_seconds: [null, 1, null] },
    ]);
  });

  it('gives the largest groups a line each and sums the rest into one', () => {
    const rows = Array.from({ length: MAX_SERIES + 3 }, (_, i) => Array.from({ length: i + 1 }, () => row(`agent-${i}`, T0))).flat();
    const series = computeSeries(rows, 'agent', { sinceMs: T0, untilMs: T0 + HOUR, stepMs: HOUR });
    expect(series.series).toHaveLength(MAX_SERIES + 1);
    expect(series.series[0]!.key).toBe(`agent-${MAX_SERIES + 2}`);
    expect(series.series.at(-1)).toMatchObject({ key: null, other: true, count: [1 + 2 + 3, 0] });
  });

  it('groups everything under * without a dimension, and refuses windows it cannot draw', () => {
    expect(computeSeries([row('a', T0), row('b', T0)], undefined, { sinceMs: T0, untilMs: T0 + 1000, stepMs: 1000 }).series.map((s) => [s.key, s.count])).toEqual([['*', [2, 0]]]);
    expect(() => computeSeries([], undefined, { sinceMs: T0, untilMs: T0, stepMs: 1000 })).toThrow(/since must be before until/);
    expect(() => computeSeries([], undefined, { sinceMs: T0, untilMs: T0 + HOUR, stepMs: 500 })).toThrow(/at least 1s/);
    expect(() => computeSeries([], undefined, { sinceMs: T0, untilMs: T0 + 30 * 86_400_000, stepMs: 60_000 })).toThrow(/at most 1000/);
  });

  it('picks a round step of at most 120 buckets', () => {
    expect(defaultStepMs(T0, T0 + HOUR)).toBe(60_000);
    expect(defaultStepMs(T0, T0 + 24 * HOUR)).toBe(900_000);
    expect(defaultStepMs(T0, T0 + 7 * 24 * HOUR)).toBe(10_800_000);
    expect(defaultStepMs(T0, T0 + 90 * 24 * HOUR)).toBe(86_400_000);
  });
});

describe('RunStore.statsSeries on a fixture store', () => {
  let runsDir: string;
  let catalog: RunCatalog;
  const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
  beforeAll(async () => {
    runsDir = await makeTempDir();
    await writeFixtureStore(runsDir, { count: 120, nowMs: NOW, days: 10 });
    catalog = await RunCatalog.open(runsDir);
  });
  afterAll(async () => {
    catalog.close();
    await removeTempDir(runsDir);
  });

  it('adds up, bucket by bucket, to what runs stats says of the same window', () => {
    const store = new RunStore(runsDir, catalog);
    const sinceMs = NOW - 10 * 86_400_000;
    const series = store.statsSeries({ by: 'agent', sinceMs, stepMs: 86_400_000 }, NOW);
    const totals = store.stats({ by: 'agent', sinceMs, untilMs: NOW });
    expect(series.buckets).toHaveLength(11);
    for (const group of totals.groups) {
      const line = series.series.find((s) => s.key === group.key)!;
      const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
      expect([sum(line.count), sum(line.failures), sum(line.tokens)]).toEqual([group.count, group.failures, group.tokens]);
      expect(sum(line.cost_usd)).toBeCloseTo(group.cost_usd, 9);
    }
    expect(series.series.map((s) => s.key).sort()).toEqual(['coder', 'planner', 'reviewer']);
  });

  it('defaults to the last seven days, and refuses an unknown dimension', () => {
    const store = new RunStore(runsDir, catalog);
    const series = store.statsSeries({}, NOW);
    expect(Date.parse(series.until) - Date.parse(series.since)).toBe(7 * 86_400_000);
    expect(series.step_seconds).toBe(10_800);
    expect(() => store.statsSeries({ by: 'colour' }, NOW)).toThrow(/colour/);
  });
});
