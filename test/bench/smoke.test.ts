/**
 * A tiny run of the benchmark (bench/run.ts) against the built daemon, so the harness cannot
 * rot: every figure must come out as a finite number with a baseline. Loopback only; writes to
 * a temp dir, never bench/results or bench/.data.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchOptions } from '../../bench/options.js';
import { formatReport, runBench, type BenchResults } from '../../bench/run.js';
import { makeTempDir, removeTempDir } from '../helpers/daemon.js';

const FIGURES = [
  'http_ack_spans_per_s',
  'http_ack_p50_ms',
  'http_ack_p99_ms',
  'grpc_ack_spans_per_s',
  'grpc_ack_p50_ms',
  'grpc_ack_p99_ms',
  'http_e2e_runs_per_s',
  'grpc_e2e_runs_per_s',
  'fixed_load_p50_ms',
  'fixed_load_p99_ms',
  'sustained_runs_per_s',
  'http_token_ack_spans_per_s',
  'grpc_token_ack_spans_per_s',
  'peak_rss_mb',
  'in_flight_rss_mb',
  'privacy_http_ack_spans_per_s',
  'encrypted_http_e2e_runs_per_s',
  'shared_e2e_runs_per_s',
  'shared_2x_e2e_runs_per_s',
  'cli_list_ms',
  'cli_search_ms',
  'api_search_p50_ms',
  'api_search_p99_ms',
];

describe('npm run bench (smoke)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('paracle-bench-smoke-');
  });
  afterAll(() => removeTempDir(dir));

  // Fifteen daemons start one after another (four for the privacy figure's turns, two per token
  // round, two per encryption round and three for the scale-out figure, beside a PostgreSQL
  // cluster and s3rver).
  // Bounded at 400 s: the suite runs two files at once, so this one shares the CPU.
  it('measures every figure against its baseline and writes them as JSON', { timeout: 400_000 }, async () => {
    const options: BenchOptions = {
      dists: [resolve('dist')],
      traces: 40,
      spans: 10,
      concurrency: 2,
      seconds: 5,
      drainSeconds: 10,
      openBatch: 10,
      warmup: 5,
      graceMs: 20,
      rate: 2000,
      rateSeconds: 0.5,
      inFlight: 50,
      sustainSeconds: 1,
      sustainSteps: 0,
      queryRuns: 30,
      cliRepeats: 1,
      apiRequests: 5,
      tokenRounds: 1,
      encryptionRounds: 1,
      scaleOutTraces: 20,
      dataDir: join(dir, 'data'),
      resultsDir: join(dir, 'results'),
      fsync: false,
      reindex: false,
      quick: true,
    };
    const resultsFile = join(dir, 'results', 'smoke.json');
    const returned = await runBench(options, { log: () => {}, resultsFile });
    const results = JSON.parse(await readFile(resultsFile, 'utf8')) as BenchResults;
    expect(results).toEqual(JSON.parse(JSON.stringify(returned)));

    expect(results.builds).toHaveLength(1);
    const figures = results.builds[0]!.figures;
    expect(figures.map((f) => f.id)).toEqual(FIGURES);
    for (const f of figures) {
      for (const value of [f.value, f.baseline, f.ratio]) expect(Number.isFinite(value), `${f.id}: ${JSON.stringify(f)}`).toBe(true);
      expect(f.value, f.id).toBeGreaterThan(0);
      if (f.goal) expect(typeof f.met).toBe('boolean');
    }
    for (const [key, value] of Object.entries(results.baselines)) expect(Number.isFinite(value), key).toBe(true);
    const report = formatReport(results);
    for (const f of figures) expect(report).toContain(f.label);
  });
});
