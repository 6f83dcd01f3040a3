/**
 * The benchmark's sizes and where it reads and writes. Every size is a flag; `--quick` starts
 * from smaller defaults that finish in under a minute, and flags given with it still win.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Built daemons to measure (`dist` folders); the first is the one compared with the others. */
  dists: string[];
  /** Traces (agent runs) sent per protocol in the closed-loop ack / end-to-end phase. */
  traces: number;
  /** Spans per trace (one root `invoke_agent` span and its children). */
  spans: number;
  /** Concurrent closed-loop senders (each its own connection). */
  concurrency: number;
  /** The closed-loop phases send no new trace after this many seconds. */
  seconds: number;
  /** How long to wait for runs to reach the disk, or open-loop requests to be answered, after sending. */
  drainSeconds: number;
  /** Open traces per request in the in-flight phase (an exporter's batch). */
  openBatch: number;
  /** Traces sent (and waited for on disk) before the timed part of a closed-loop phase. */
  warmup: number;
  /** `assembly.grace_ms` of the measured daemons: how long a finished trace waits before its run is written. */
  graceMs: number;
  /** Offered load of the open-loop phase, in spans per second. */
  rate: number;
  /** How long the open-loop phase offers that load, in seconds. */
  rateSeconds: number;
  /** Traces held open (root span not ended) for the in-flight RSS figure. */
  inFlight: number;
  /** How long each load of the sustained-load search is offered (0 skips the figure). */
  sustainSeconds: number;
  /** Loads tried after the first in the sustained-load search (bisection). */
  sustainSteps: number;
  /** Runs in the query fixture store. */
  queryRuns: number;
  /** CLI processes timed per query command. */
  cliRepeats: number;
  /** Sequential API search requests timed (after 10 warm-up requests). */
  apiRequests: number;
  /** Alternating rounds of closed loops without and with an ingest token (the token-cost figures). */
  tokenRounds: number;
  /** Rounds (off, then on) of the encryption-at-rest figure; 0 skips it. */
  encryptionRounds: number;
  /** Traces timed per replica count (1, then 2) of the scale-out figure on the shared backend; 0 skips it. */
  scaleOutTraces: number;
  /** Where fixture stores are cached (one folder per size). */
  dataDir: string;
  /** Where the results JSON is written. */
  resultsDir: string;
  /** fsync each file of baseline B before its rename (use when the store does). */
  fsync: boolean;
  /** Rebuild the query fixture's index (`runs reindex`, timed) even when it has one. */
  reindex: boolean;
  quick: boolean;
}

const FULL = {
  traces: 20_000,
  spans: 10,
  concurrency: 8,
  seconds: 30,
  drainSeconds: 120,
  openBatch: 50,
  warmup: 500,
  graceMs: 100,
  rate: 20_000,
  rateSeconds: 10,
  inFlight: 50_000,
  sustainSeconds: 60,
  sustainSteps: 4,
  queryRuns: 100_000,
  cliRepeats: 10,
  apiRequests: 200,
  tokenRounds: 3,
  encryptionRounds: 2,
  scaleOutTraces: 3000,
};

const QUICK: typeof FULL = {
  ...FULL,
  traces: 3000,
  seconds: 3,
  drainSeconds: 8,
  warmup: 100,
  rateSeconds: 2,
  inFlight: 5000,
  sustainSeconds: 3,
  sustainSteps: 1,
  queryRuns: 5000,
  cliRepeats: 3,
  apiRequests: 50,
  tokenRounds: 2,
  scaleOutTraces: 500,
};

const NUMERIC = {
  traces: 'traces',
  spans: 'spans',
  concurrency: 'concurrency',
  seconds: 'seconds',
  drainSeconds: 'drain-seconds',
  openBatch: 'open-batch',
  warmup: 'warmup',
  graceMs: 'grace-ms',
  rate: 'rate',
  rateSeconds: 'rate-seconds',
  inFlight: 'in-flight',
  sustainSeconds: 'sustain-seconds',
  sustainSteps: 'sustain-steps',
  queryRuns: 'query-runs',
  cliRepeats: 'cli-repeats',
  apiRequests: 'api-requests',
  tokenRounds: 'token-rounds',
  encryptionRounds: 'encryption-rounds',
  scaleOutTraces: 'scale-out-traces',
} as const satisfies Record<keyof typeof FULL, string>;

export const USAGE = `npm run bench -- [--quick] [--dist DIR]... [--traces N] [--spans N] [--concurrency N]
  [--seconds S] [--drain-seconds S] [--open-batch N] [--warmup N] [--grace-ms MS] [--rate SPANS_PER_S] [--rate-seconds S] [--in-flight N]
  [--sustain-seconds S] [--sustain-steps N]  [--query-runs N] [--cli-repeats N] [--api-requests N] [--token-rounds N] [--encryption-rounds N] [--scale-out-traces N] [--data-dir DIR] [--results-dir DIR] [--fsync] [--reindex]`;

/** The options of `argv` (without node and the script). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const numeric = Object.fromEntries(Object.values(NUMERIC).map((flag) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      ...numeric,
      quick: { type: 'boolean', default: false },
      fsync: { type: 'boolean', default: false },
      reindex: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      dist: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'results-dir': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const sizes = { ...(quick ? QUICK : FULL) };
  for (const [key, flag] of Object.entries(NUMERIC) as [keyof typeof FULL, string][]) {
    const given = (values as Record<string, unknown>)[flag];
    if (typeof given !== 'string') continue;
    const n = Number(given);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} must be a non-negative number, got ${given}`);
    sizes[key] = n;
  }
  return {
    ...sizes,
    dists: (values.dist as string[] | undefined) ?? ['dist'],
    dataDir: resolve((values['data-dir'] as string | undefined) ?? 'bench/.data'),
    resultsDir: resolve((values['results-dir'] as string | undefined) ?? 'bench/results'),
    fsync: values.fsync === true,
    reindex: values.reindex === true,
    quick,
  };
}
