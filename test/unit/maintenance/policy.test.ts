import { describe, expect, it } from 'vitest';
import { inTraceSample, isArchiveExpired, keptPerSubject, planRetention, planSampling } from '../../../src/maintenance/index.js';
import type { RunSummary } from '../../../src/store/index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15);

let seq = 0;
/** A run of `subject` started `ageDays` ago; ids sort by age like real ULIDs. */
function run(subject: string, ageDays: number, extra: Partial<RunSummary> = {}): RunSummary {
  seq += 1;
  const started = NOW - ageDays * DAY;
  return {
    kind: 'agent',
    subject,
    runId: `${String(started).padStart(16, '0')}-${seq}`,
    status: 'completed',
    startedMs: started,
    pinned: false,
    traceId: seq.toString(16).padStart(32, '0'),
    traceWhole: true,
    ...extra,
  };
}

const leavingIds = (runs: RunSummary[], keep: number, maxAgeDays = 1000) =>
  planRetention(runs, keep, maxAgeDays * DAY, NOW).map((l) => l.run.runId).sort();

describe('keptPerSubject', () => {
  it('is 10, 50 and unlimited for lite, standard and full, unless max_runs_per_agent is set', () => {
    expect(keptPerSubject({ mode: 'lite', max_runs_per_agent: null })).toBe(10);
    expect(keptPerSubject({ mode: 'standard', max_runs_per_agent: null })).toBe(50);
    expect(keptPerSubject({ mode: 'full', max_runs_per_agent: null })).toBe(Number.POSITIVE_INFINITY);
    expect(keptPerSubject({ mode: 'full', max_runs_per_agent: 3 })).toBe(3);
    expect(keptPerSubject({ mode: 'lite', max_runs_per_agent: 100 })).toBe(100);
  });
});

describe('planRetention', () => {
  it('keeps the newest N runs of each agent and workflow separately', () => {
    const coder = Array.from({ length: 5 }, (_, i) => run('coder', i + 1));
    const planner = Array.from({ length: 2 }, (_, i) => run('planner', i + 1));
    const wf = Array.from({ length: 4 }, (_, i) => run('coder', i + 1, { kind: 'workflow' }));
    const leaving = planRetention([...coder, ...planner, ...wf].reverse(), 3, 1000 * DAY, NOW);
    expect(leaving.map((l) => l.run.runId).sort()).toEqual([coder[3]!, coder[4]!, wf[3]!].map((r) => r.runId).sort());
    expect(leaving.every((l) => l.reason === 'count')).toBe(true);
  });

  it('takes out every run older than the age limit, even within the count', () => {
    const runs = [run('coder', 1), run('coder', 29), run('coder', 31), run('coder', 400)];
    const leaving = planRetention(runs, 50, 30 * DAY, NOW);
    expect(leaving.map((l) => [l.run.runId, l.reason])).toEqual([
      [runs[2]!.runId, 'age'],
      [runs[3]!.runId, 'age'],
    ]);
  });

  it('never takes out pinned or unfinished runs, which take no place in the count', () => {
    const pinned = run('coder', 500, { pinned: true });
    const running = run('coder', 500, { status: 'running' });
    const pending = run('coder', 0.5, { status: 'pending' });
    const done = [run('coder', 1), run('coder', 2), run('coder', 3)];
    expect(leavingIds([pinned, running, pending, ...done], 2, 100)).toEqual([done[2]!.runId]);
  });

  it('keeps everything in full mode within the age limit', () => {
    const runs = Array.from({ length: 200 }, (_, i) => run('coder', i / 10));
    expect(leavingIds(runs, Number.POSITIVE_INFINITY)).toEqual([]);
  });

  it('judges a run of unknown start by count only', () => {
    const unknown = run('coder', 0, { startedMs: null });
    expect(leavingIds([unknown], 5, 0)).toEqual([]);
  });
});

describe('inTraceSample', () => {
  it('gives the same answer for the same trace id every time and in any case', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const first = inTraceSample(id, 0.5);
    for (let i = 0; i < 5; i++) expect(inTraceSample(id, 0.5)).toBe(first);
    expect(inTraceSample(id.toUpperCase(), 0.5)).toBe(first);
  });

  it('keeps about the configured share, all at 1 and none at 0', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => i.toString(16).padStart(32, '0'));
    const share = ids.filter((id) => inTraceSample(id, 0.1)).length / ids.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    expect(ids.slice(0, 100).every((id) => inTraceSample(id, 1))).toBe(true);
    expect(ids.slice(0, 100).some((id) => inTraceSample(id, 0))).toBe(false);
  });

  it('keeps at a higher rate every trace it kept at a lower one', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => (i * 7919).toString(16).padStart(32, '0'));
    for (const id of ids.filter((i) => inTraceSample(i, 0.2))) expect(inTraceSample(id, 0.5)).toBe(true);
  });
});

describe('planSampling', () => {
  const traces = { sample_after_runs: 3, sample_rate: 0 };

  it('trims completed runs past the newest sample_after_runs of each agent, never failed or pinned ones', () => {
    const newest = [run('coder', 1), run('coder', 2), run('coder', 3)];
    const failed = run('coder', 4, { status: 'failed' });
    const pinned = run('coder', 5, { pinned: true });
    const running = run('coder', 6, { status: 'running' });
    const trimmed = run('coder', 7, { traceWhole: false });
    const old = [run('coder', 8), run('coder', 9)];
    const other = [run('planner', 8)];
    const plan = planSampling([...newest, failed, pinned, running, trimmed, ...old, ...other], traces);
    expect(plan.map((r) => r.runId).sort()).toEqual(old.map((r) => r.runId).sort());
  });

  it('keeps whole the traces in the sample', () => {
    const runs = Array.from({ length: 400 }, (_, i) => run('coder', i + 1));
    const plan = new Set(planSampling(runs, { sample_after_runs: 100, sample_rate: 0.25 }).map((r) => r.runId));
    const older = runs.slice(100);
    for (const r of older) expect(plan.has(r.runId)).toBe(!inTraceSample(r.traceId!, 0.25));
    for (const r of runs.slice(0, 100)) expect(plan.has(r.runId)).toBe(false);
  });
});

describe('isArchiveExpired', () => {
  it('is true only past archive_retention_days', () => {
    const policy = { archive_retention_days: 365 };
    expect(isArchiveExpired(NOW - 364 * DAY, NOW, policy)).toBe(false);
    expect(isArchiveExpired(NOW - 366 * DAY, NOW, policy)).toBe(true);
  });
});
