/**
 * The benchmark (issue 9): one run measures the baselines and every build given, prints a
 * table per build (figure, value, baseline, ratio, goal, met?) and writes the results JSON.
 * See bench/README.md. `runBench` is also what the smoke test calls, with tiny sizes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { figure, formatTable, missedGoals, type Figure } from './figures.js';
import { fsBaseline, sampleRunFiles } from './fs-baseline.js';
import { closedLoop, openLoop, percentile, type LoadResult, type Protocol } from './load.js';
import type { BenchOptions } from './options.js';
import { scrapeMetric, startBaselineServer, startDaemon, type Server } from './processes.js';
import { ensureFixtureStore, getLatencies, measureQueries, nodeStartMs } from './query.js';
import { findSustainedLoad } from './sustained.js';
import { encodeTraces } from './workload.js';
import { measurePrivacy } from './privacy.js';
import { measureEncryption } from './encryption.js';
import { measureScaleOut } from './scale-out.js';

const MB = 1024 * 1024;
const INGEST_TOKEN = 'paracle_bench-ingest-token';
const DEFAULT_MAX_SPANS_IN_MEMORY = 500_000;
const DEFAULT_MAX_BYTES_IN_MEMORY = 268_435_456;

export interface BuildResult {
  dist: string;
  figures: Figure[];
  /** Figures without a baseline, and counters that explain the others. */
  details: Record<string, number>;
  /** The `paracle_config` blocks the measured daemons ran with. */
  config: { default: Record<string, unknown>; inFlight: Record<string, unknown> };
}

export interface BenchResults {
  date: string;
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  commit: string | null;
  options: Omit<BenchOptions, 'dataDir' | 'resultsDir'>;
  baselines: Record<string, number>;
  builds: BuildResult[];
  missedGoals: string[];
  /** Problems seen on the way that are not figures (e.g. a daemon that did not exit cleanly). */
  warnings: string[];
}

export interface RunBenchHooks {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Where the JSON goes (default: `options.resultsDir/<date>[-quick].json`). */
  resultsFile?: string;
}

/** The sustained-load figure's bound: every run on disk this long after its root ended. */
const SUSTAIN_LAG_MS = 5000;

interface Bodies {
  warmup: Buffer[];
  timed: Buffer[];
  open: Buffer[];
}

interface ClosedLoopOutcome {
  ack: LoadResult;
  /** Runs of the timed traces on disk when the wait ended, and how long after the first timed request. */
  e2eRuns: number;
  e2eSeconds: number;
  /** Whether every timed run was on disk within --drain-seconds. */
  e2eComplete: boolean;
  peakRss: number;
  sampleRunDir: string | null;
}

function spansPerSecond(result: LoadResult, spans: number): number {
  return (result.requests * spans) / result.seconds;
}

/**
 * Polls the daemon until `name` sums to at least `target`, for at most `timeoutMs`; returns
 * when it was last read (performance.now()), its value then and whether it got there.
 */
async function waitForMetric(server: Server, name: string, target: number, timeoutMs: number, pollMs = 25): Promise<{ at: number; value: number; reached: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await scrapeMetric(server, name);
    const at = performance.now();
    if (value >= target || at > deadline) return { at, value, reached: value >= target };
    await sleep(pollMs);
  }
}

/** A run directory of the daemon's, to write baseline B's runs with the same file sizes. */
async function findRunDir(runsDir: string): Promise<string | null> {
  const agents = join(runsDir, 'agents');
  for (const entry of await readdir(agents).catch(() => [] as string[])) {
    if (existsSync(join(agents, entry, 'trace.json'))) return join(agents, entry);
  }
  return null;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export async function runBench(options: BenchOptions, hooks: RunBenchHooks = {}): Promise<BenchResults> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const startedAt = new Date();
  const work = await mkdtemp(join(tmpdir(), 'paracle-bench-'));
  let dirs = 0;
  const freshDir = async (name: string): Promise<string> => {
    const dir = join(work, `${String(++dirs).padStart(2, '0')}-${name}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const { spans, concurrency } = options;
  const rateRequests = Math.round((options.rate / spans) * options.rateSeconds);
  const drainMs = options.drainSeconds * 1000;
  const warnings: string[] = [];
  const warn = (problem: string): void => {
    warnings.push(problem);
    log(`warning: ${problem}`);
  };
  // An overloaded daemon's open-loop backlog is not waited out: its p99 is long past any goal.
  const openLoopDrain = Math.min(options.drainSeconds, Math.max(5, options.rateSeconds));
  try {
    const timedCount = Math.max(options.traces, rateRequests, options.scaleOutTraces);
    log(`encoding ${options.warmup + timedCount} traces and ${options.inFlight} open traces of ${spans} spans`);
    const encodeStarted = performance.now();
    const bodies: Bodies = {
      warmup: encodeTraces(options.warmup, spans),
      timed: encodeTraces(timedCount, spans),
      open: encodeTraces(options.inFlight, spans, { open: true, perRequest: options.openBatch }),
    };
    const encodeSeconds = (performance.now() - encodeStarted) / 1000;
    const timed = bodies.timed.slice(0, options.traces);
    const contentBodies = { warmup: encodeTraces(options.warmup, spans, { content: true }), timed: encodeTraces(options.traces, spans, { content: true }) };
    const openBytes = bodies.open.reduce((sum, b) => sum + b.length, 0);

    // Baseline A: the same requests, senders and schedule against a server that only drains them.
    log('baseline A: plain node:http / grpc-js server');
    const baselineServer = await startBaselineServer(process.cwd());
    let baseA: Record<string, number>;
    try {
      await closedLoop('http', baselineServer, bodies.warmup, concurrency);
      const http = await closedLoop('http', baselineServer, timed, concurrency, options.seconds);
      await closedLoop('grpc', baselineServer, bodies.warmup, concurrency);
      const grpc = await closedLoop('grpc', baselineServer, timed, concurrency, options.seconds);
      const fixed = await openLoop(baselineServer, bodies.timed, options.rate / spans, options.rateSeconds, openLoopDrain);
      const get = await getLatencies(`${baselineServer.httpUrl}/`, options.apiRequests);
      baseA = {
        httpAckSpansPerSecond: spansPerSecond(http, spans),
        httpAckP50Ms: percentile(http.latencies, 50),
        httpAckP99Ms: percentile(http.latencies, 99),
        grpcAckSpansPerSecond: spansPerSecond(grpc, spans),
        grpcAckP50Ms: percentile(grpc.latencies, 50),
        grpcAckP99Ms: percentile(grpc.latencies, 99),
        fixedLoadP50Ms: percentile(fixed.latencies, 50),
        fixedLoadP99Ms: percentile(fixed.latencies, 99),
        getP50Ms: percentile(get, 50),
        getP99Ms: percentile(get, 99),
        peakRssMb: baselineServer.memory().peak / MB,
      };
    } finally {
      const problem = await baselineServer.stop();
      if (problem) warn(problem);
    }
    const cliBaselineMs = nodeStartMs(Math.max(3, options.cliRepeats));

    let queryRunsDir: string | null = null;
    if (options.queryRuns > 0) queryRunsDir = await ensureFixtureStore(options.dataDir, options.queryRuns, log);

    const defaultConfig: Record<string, unknown> = { assembly: { grace_ms: Math.max(1, options.graceMs) } };
    // Room for every open trace, as the figure is about holding them, not about shedding load.
    const inFlightConfig: Record<string, unknown> = {
      ...defaultConfig,
      ingest: {
        max_spans_in_memory: Math.max(DEFAULT_MAX_SPANS_IN_MEMORY, Math.ceil(options.inFlight * spans * 1.1)),
        max_bytes_in_memory: Math.max(DEFAULT_MAX_BYTES_IN_MEMORY, Math.ceil(openBytes * 1.1)),
      },
    };

    const closedLoopPhase = async (dist: string, protocol: Protocol): Promise<ClosedLoopOutcome> => {
      const dir = await freshDir(`${protocol}`);
      const runsDir = join(dir, 'runs');
      const daemon = await startDaemon(dist, runsDir, dir, defaultConfig);
      let settled = false;
      try {
        await closedLoop(protocol, daemon, bodies.warmup, concurrency);
        const warm = await waitForMetric(daemon, 'paracle_runs_total', bodies.warmup.length, drainMs);
        const t0 = performance.now();
        const ack = await closedLoop(protocol, daemon, timed, concurrency, options.seconds);
        const done = await waitForMetric(daemon, 'paracle_runs_total', warm.value + ack.requests, drainMs);
        settled = done.reached;
        return {
          ack,
          e2eRuns: done.value - warm.value,
          e2eSeconds: (done.at - t0) / 1000,
          e2eComplete: done.reached,
          peakRss: daemon.memory().peak,
          sampleRunDir: await findRunDir(runsDir),
        };
      } finally {
        // A clean SIGTERM exit is checked when all was written; a backlog would only be drained.
        if (settled) {
          const problem = await daemon.stop();
          if (problem) warn(`${protocol} daemon: ${problem}`);
        } else daemon.kill();
      }
    };

    // Ingest-token cost: the same closed loop against a daemon requiring an ingest token and one
    // that does not, alternated so that the machine's drift hits both alike; the best of each.
    const tokenConfig: Record<string, unknown> = {
      ...defaultConfig,
      access: { tokens: [{ name: 'bench', sha256: createHash('sha256').update(INGEST_TOKEN).digest('hex'), role: 'ingest' }], ingest_tokens_required: true },
    };
    const ackPhase = async (dist: string, protocol: Protocol, withToken: boolean): Promise<number> => {
      const dir = await freshDir(`${protocol}-${withToken ? 'token' : 'no-token'}`);
      const daemon = await startDaemon(dist, join(dir, 'runs'), dir, withToken ? tokenConfig : defaultConfig);
      try {
        const auth = withToken ? { token: INGEST_TOKEN } : {};
        await closedLoop(protocol, daemon, bodies.warmup, concurrency, Infinity, auth);
        return spansPerSecond(await closedLoop(protocol, daemon, timed, concurrency, options.seconds, auth), spans);
      } finally {
        // Only the acks are measured; the write backlog is thrown away with the daemon.
        daemon.kill();
      }
    };
    const tokenRounds = async (dist: string): Promise<Record<`${Protocol}${'Open' | 'Token'}`, number[]>> => {
      const rounds = { httpOpen: [] as number[], httpToken: [] as number[], grpcOpen: [] as number[], grpcToken: [] as number[] };
      for (let round = 0; round < options.tokenRounds; round++) {
        for (const protocol of ['http', 'grpc'] as const) {
          rounds[`${protocol}Open`].push(await ackPhase(dist, protocol, false));
          rounds[`${protocol}Token`].push(await ackPhase(dist, protocol, true));
        }
      }
      return rounds;
    };

    const builds: BuildResult[] = [];
    let baseB: { runsPerSecond: number; seconds: number } | null = null;
    for (const dist of options.dists) {
      log(`${dist}: OTLP/HTTP closed loop, up to ${timed.length} traces or ${options.seconds} s, ${concurrency} senders`);
      const http = await closedLoopPhase(dist, 'http');
      log(`${dist}: OTLP/gRPC closed loop`);
      const grpc = await closedLoopPhase(dist, 'grpc');

      if (!baseB) {
        // Baseline B: as many runs as the end-to-end phase, files as large as the daemon's.
        log('baseline B: 5 files per run, atomically, into fresh dirs');
        const files = await sampleRunFiles(http.sampleRunDir);
        baseB = await fsBaseline(await freshDir('baseline-b'), Math.max(http.ack.requests, Math.min(timed.length, 1000)), files, options.fsync);
      }

      log(`${dist}: OTLP/HTTP closed loop with content, scrubbing off and on by turns`);
      const privacy = await measurePrivacy(dist, contentBodies, options, defaultConfig, freshDir, warn);

      // --encryption-rounds 0 skips it (a build from before encryption refuses its config).
      const encryption = options.encryptionRounds > 0 ? await (async () => {
        log(`${dist}: end to end over OTLP/HTTP with content, encryption at rest off and on by turns`);
        return measureEncryption(dist, contentBodies, options, defaultConfig, freshDir, warn);
      })() : null;

      // --scale-out-traces 0 skips it (a build from before the shared backend refuses its config).
      const scaleOut = options.scaleOutTraces > 0 ? await (async () => {
        log(`${dist}: end to end on the shared backend (PostgreSQL + s3rver started here), 1 replica, then 2 behind a trace-id split`);
        return measureScaleOut(dist, { warmup: bodies.warmup, timed: bodies.timed.slice(0, options.scaleOutTraces) }, options, defaultConfig, freshDir, warn);
      })() : null;

      log(`${dist}: ingest tokens: ${options.tokenRounds} alternating rounds of OTLP/HTTP and OTLP/gRPC acks without and with a token`);
      const tokens = await tokenRounds(dist);

      log(`${dist}: open loop at ${options.rate} spans/s for ${options.rateSeconds} s`);
      const fixedDir = await freshDir('fixed-load');
      const fixedDaemon = await startDaemon(dist, join(fixedDir, 'runs'), fixedDir, defaultConfig);
      let fixed: LoadResult & { unanswered: number };
      try {
        await closedLoop('http', fixedDaemon, bodies.warmup, concurrency);
        fixed = await openLoop(fixedDaemon, bodies.timed, options.rate / spans, options.rateSeconds, openLoopDrain);
      } finally {
        // Its write backlog is not measured; SIGTERM would drain it first.
        fixedDaemon.kill();
      }

      log(`${dist}: ${options.inFlight} traces held open, ${options.openBatch} a request`);
      const openDir = await freshDir('in-flight');
      const openDaemon = await startDaemon(dist, join(openDir, 'runs'), openDir, inFlightConfig);
      let inFlightRss: number;
      let inFlightSeconds: number;
      try {
        const t0 = performance.now();
        await closedLoop('http', openDaemon, bodies.open, concurrency);
        const reached = await waitForMetric(openDaemon, 'paracle_traces_in_flight', options.inFlight, drainMs, 50);
        if (!reached.reached) throw new Error(`only ${reached.value} of ${options.inFlight} traces in flight after ${options.drainSeconds} s`);
        inFlightSeconds = (reached.at - t0) / 1000;
        const atReach = openDaemon.memory().rss;
        // The first sight of each trace is written as a running run; let those writes land.
        await sleep(1000);
        inFlightRss = Math.max(atReach, openDaemon.memory().rss);
      } finally {
        // SIGTERM would write every held trace as interrupted first; this daemon is thrown away.
        openDaemon.kill();
      }

      let sustained = null;
      if (options.sustainSeconds > 0) {
        log(`${dist}: sustained load, ${options.sustainSeconds} s a step, every run on disk within ${SUSTAIN_LAG_MS / 1000} s`);
        // A first guess somewhat under what it writes flat out (the closed loop's end-to-end rate).
        const start = 0.75 * Math.max(http.e2eRuns / http.e2eSeconds, grpc.e2eRuns / grpc.e2eSeconds);
        const sustainDaemon = async () => {
          const dir = await freshDir('sustained');
          const daemon = await startDaemon(dist, join(dir, 'runs'), dir, defaultConfig);
          await closedLoop('http', daemon, bodies.warmup, concurrency);
          const warm = await waitForMetric(daemon, 'paracle_runs_total', bodies.warmup.length, drainMs);
          // Thrown away: SIGTERM would first drain whatever backlog the step left.
          return { server: daemon, runsBefore: warm.value, stop: () => daemon.kill() };
        };
        const search = { seconds: options.sustainSeconds, lagMs: SUSTAIN_LAG_MS, steps: options.sustainSteps, startRunsPerSecond: start };
        sustained = await findSustainedLoad(search, sustainDaemon, (n) => encodeTraces(n, spans), log);
      }

      let query = null;
      if (queryRunsDir) {
        log(`${dist}: queries on ${options.queryRuns} runs`);
        const queryDir = await freshDir('query');
        query = await measureQueries(dist, queryRunsDir, queryDir, defaultConfig, options, warn);
      }

      const sizeNote = (what: string, goalSize: number, size: number): string | undefined =>
        size < goalSize ? `measured with ${size.toLocaleString('en-US')} ${what}; the goal is for ${goalSize.toLocaleString('en-US')}` : undefined;
      const incomplete = (phase: ClosedLoopOutcome): string =>
        `${phase.e2eRuns} of ${phase.ack.requests} runs on disk after --drain-seconds ${options.drainSeconds}; the rate counts those`;
      const A = 'baseline A';
      const figures: Figure[] = [
        figure('http_ack_spans_per_s', 'OTLP/HTTP ack throughput', 'spans/s', spansPerSecond(http.ack, spans), baseA.httpAckSpansPerSecond!, A, { kind: 'ratio-min', min: 0.3 }),
        figure('http_ack_p50_ms', 'OTLP/HTTP ack latency p50', 'ms', percentile(http.ack.latencies, 50), baseA.httpAckP50Ms!, A),
        figure('http_ack_p99_ms', 'OTLP/HTTP ack latency p99', 'ms', percentile(http.ack.latencies, 99), baseA.httpAckP99Ms!, A),
        figure('grpc_ack_spans_per_s', 'OTLP/gRPC ack throughput', 'spans/s', spansPerSecond(grpc.ack, spans), baseA.grpcAckSpansPerSecond!, `${A} (grpc-js)`, { kind: 'ratio-min', min: 0.3 }),
        figure('grpc_ack_p50_ms', 'OTLP/gRPC ack latency p50', 'ms', percentile(grpc.ack.latencies, 50), baseA.grpcAckP50Ms!, `${A} (grpc-js)`),
        figure('grpc_ack_p99_ms', 'OTLP/gRPC ack latency p99', 'ms', percentile(grpc.ack.latencies, 99), baseA.grpcAckP99Ms!, `${A} (grpc-js)`),
        figure('http_e2e_runs_per_s', 'end-to-end, OTLP/HTTP (all runs on disk)', 'runs/s', http.e2eRuns / http.e2eSeconds, baseB.runsPerSecond, 'baseline B', { kind: 'ratio-min', min: 0.6 }, http.e2eComplete ? undefined : incomplete(http)),
        figure('grpc_e2e_runs_per_s', 'end-to-end, OTLP/gRPC (all runs on disk)', 'runs/s', grpc.e2eRuns / grpc.e2eSeconds, baseB.runsPerSecond, 'baseline B', { kind: 'ratio-min', min: 0.6 }, grpc.e2eComplete ? undefined : incomplete(grpc)),
        figure('fixed_load_p50_ms', `ack latency p50 at ${options.rate.toLocaleString('en-US')} spans/s offered`, 'ms', percentile(fixed.latencies, 50), baseA.fixedLoadP50Ms!, A),
        figure(
          'fixed_load_p99_ms',
          `ack latency p99 at ${options.rate.toLocaleString('en-US')} spans/s offered`,
          'ms',
          percentile(fixed.latencies, 99),
          baseA.fixedLoadP99Ms!,
          A,
          { kind: 'max', max: 50 },
          options.rate < 20_000 ? `offered ${options.rate} spans/s; the goal is for 20,000` : undefined,
        ),
        ...(sustained && baseB
          ? [
              figure(
                'sustained_runs_per_s',
                `sustained load (${options.sustainSeconds} s, no 503, on disk within ${SUSTAIN_LAG_MS / 1000} s)`,
                'runs/s',
                sustained.runsPerSecond,
                baseB.runsPerSecond,
                'baseline B',
                { kind: 'ratio-min', min: 0.5 },
                options.sustainSeconds < 60 ? `each load offered ${options.sustainSeconds} s; the goal is for 60` : undefined,
              ),
            ]
          : []),
        // --token-rounds 0 skips them (a build from before ingest tokens refuses their config).
        ...(options.tokenRounds > 0 ? (['http', 'grpc'] as const) : []).map((protocol) =>
          figure(
            `${protocol}_token_ack_spans_per_s`,
            `${protocol === 'http' ? 'OTLP/HTTP' : 'OTLP/gRPC'} ack throughput with an ingest token`,
            'spans/s',
            Math.max(...tokens[`${protocol}Token`]),
            Math.max(...tokens[`${protocol}Open`]),
            `no token, best of ${options.tokenRounds}`,
            { kind: 'ratio-min', min: 0.95 },
          ),
        ),
        figure('peak_rss_mb', 'peak RSS (OTLP/HTTP closed loop)', 'MB', http.peakRss / MB, baseA.peakRssMb!, `${A} peak`),
        figure(
          'in_flight_rss_mb',
          `RSS with ${options.inFlight.toLocaleString('en-US')} traces in flight`,
          'MB',
          inFlightRss / MB,
          baseA.peakRssMb!,
          `${A} peak`,
          { kind: 'max', max: 300 },
          sizeNote('traces', 50_000, options.inFlight),
        ),
        figure(
          'privacy_http_ack_spans_per_s',
          'OTLP/HTTP ack throughput with content, scrubbing on',
          'spans/s',
          privacy.onSpansPerSecond,
          privacy.offSpansPerSecond,
          'the same, scrubbing off',
          { kind: 'ratio-min', min: 0.7 },
        ),
        ...(encryption
          ? [
              figure(
                'encrypted_http_e2e_runs_per_s',
                'end-to-end, OTLP/HTTP with content, encryption at rest on',
                'runs/s',
                encryption.onRunsPerSecond,
                encryption.offRunsPerSecond,
                `the same, encryption off, best of ${options.encryptionRounds}`,
                { kind: 'ratio-min', min: 0.8 },
              ),
            ]
          : []),
        ...(scaleOut
          ? [
              figure(
                'shared_e2e_runs_per_s',
                'end-to-end on the shared backend (S3 + PostgreSQL), 1 replica',
                'runs/s',
                scaleOut.oneReplicaRunsPerSecond,
                http.e2eRuns / http.e2eSeconds,
                'the local store, OTLP/HTTP',
              ),
              figure(
                'shared_2x_e2e_runs_per_s',
                'end-to-end on the shared backend, 2 replicas (traces split by id)',
                'runs/s',
                scaleOut.twoReplicasRunsPerSecond,
                scaleOut.oneReplicaRunsPerSecond,
                '1 replica',
                null,
                `${cpus().length} CPUs shared by the replicas, PostgreSQL, s3rver and the senders`,
              ),
            ]
          : []),
      ];
      if (query) {
        const runs = options.queryRuns.toLocaleString('en-US');
        figures.push(
          figure('cli_list_ms', `CLI runs list --limit 20, ${runs} runs (p50)`, 'ms', query.cliListP50Ms, cliBaselineMs, 'node -e 0'),
          figure('cli_search_ms', `CLI runs search (filtered), ${runs} runs (p50)`, 'ms', query.cliSearchP50Ms, cliBaselineMs, 'node -e 0'),
          figure('api_search_p50_ms', `API runs search, ${runs} runs, p50`, 'ms', query.apiSearchP50Ms, baseA.getP50Ms!, `${A} GET`),
          figure(
            'api_search_p99_ms',
            `API runs search, ${runs} runs, p99`,
            'ms',
            query.apiSearchP99Ms,
            baseA.getP99Ms!,
            `${A} GET`,
            { kind: 'max', max: 100 },
            sizeNote('runs', 100_000, options.queryRuns),
          ),
        );
      }
      builds.push({
        dist,
        figures,
        details: {
          httpTraces: http.ack.requests,
          httpAckSeconds: http.ack.seconds,
          httpE2eSeconds: http.e2eSeconds,
          httpE2eComplete: Number(http.e2eComplete),
          httpRetries: http.ack.retries,
          privacyOffSpansPerSecond1: privacy.turns[0]!,
          privacyOnSpansPerSecond1: privacy.turns[1]!,
          privacyOffSpansPerSecond2: privacy.turns[2]!,
          privacyOnSpansPerSecond2: privacy.turns[3]!,
          ...Object.fromEntries(
            (encryption?.turns ?? []).map((v, i) => [`encryption${i % 2 === 0 ? 'Off' : 'On'}RunsPerSecond${Math.floor(i / 2) + 1}`, v]),
          ),
          grpcTraces: grpc.ack.requests,
          grpcAckSeconds: grpc.ack.seconds,
          grpcE2eSeconds: grpc.e2eSeconds,
          grpcE2eComplete: Number(grpc.e2eComplete),
          grpcRetries: grpc.ack.retries,
          fixedLoadOfferedSpansPerSecond: options.rate,
          fixedLoadAnsweredSpansPerSecond: ((fixed.requests - fixed.unanswered) * spans) / fixed.seconds,
          fixedLoadRetries: fixed.retries,
          fixedLoadUnanswered: fixed.unanswered,
          ...Object.fromEntries(Object.entries(tokens).flatMap(([key, values]) => values.map((v, i) => [`${key}Round${i + 1}SpansPerSecond`, v]))),
          inFlightTraces: options.inFlight,
          ...Object.fromEntries((sustained?.steps ?? []).map((st, i) => [`sustainStep${i + 1}RunsPerSecond${st.held ? 'Held' : 'NotHeld'}`, st.offeredRunsPerSecond])),
          inFlightIngestSeconds: inFlightSeconds,
          ...(scaleOut?.details ?? {}),
          ...(query ? { queryDaemonScanMs: query.daemonScanMs } : {}),
          ...(query?.reindexMs != null ? { queryReindexMs: query.reindexMs } : {}),
        },
        config: { default: defaultConfig, inFlight: inFlightConfig },
      });
    }

    const results: BenchResults = {
      date: startedAt.toISOString().slice(0, 10),
      startedAt: startedAt.toISOString(),
      seconds: (performance.now() - started) / 1000,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, platform: process.platform },
      commit: gitCommit(),
      options: {
        dists: options.dists,
        traces: options.traces,
        spans,
        concurrency,
        seconds: options.seconds,
        drainSeconds: options.drainSeconds,
        openBatch: options.openBatch,
        warmup: options.warmup,
        graceMs: options.graceMs,
        rate: options.rate,
        rateSeconds: options.rateSeconds,
        inFlight: options.inFlight,
        sustainSeconds: options.sustainSeconds,
        sustainSteps: options.sustainSteps,
        queryRuns: options.queryRuns,
        cliRepeats: options.cliRepeats,
        apiRequests: options.apiRequests,
        tokenRounds: options.tokenRounds,
        encryptionRounds: options.encryptionRounds,
        scaleOutTraces: options.scaleOutTraces,
        fsync: options.fsync,
        reindex: options.reindex,
        quick: options.quick,
      },
      baselines: {
        ...baseA,
        fsRunsPerSecond: baseB?.runsPerSecond ?? Number.NaN,
        cliNodeStartMs: cliBaselineMs,
        encodeSeconds,
      },
      builds,
      warnings,
      missedGoals: builds.flatMap((b) => missedGoals(b.figures).map((m) => (builds.length > 1 ? `${b.dist}: ${m}` : m))),
    };
    const file = hooks.resultsFile ?? join(options.resultsDir, `${results.date}${options.quick ? '-quick' : ''}.json`);
    await mkdir(resolve(file, '..'), { recursive: true });
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${file}`);
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The report printed on stdout: a table per build, a comparison of builds, the goals missed. */
export function formatReport(results: BenchResults): string {
  const o = results.options;
  const lines = [
    `paracle benchmark ${results.startedAt} (${results.seconds.toFixed(0)} s), ${results.machine.cpus} CPUs, Node ${results.machine.node}${o.quick ? ', --quick' : ''}`,
    `${o.traces} traces x ${o.spans} spans per protocol, ${o.concurrency} senders, grace ${o.graceMs} ms; open loop ${o.rate} spans/s for ${o.rateSeconds} s; ` +
      `${o.inFlight} traces in flight; queries on ${o.queryRuns} runs`,
    `baseline A: plain node:http (and grpc-js) server that drains and acks the same requests; baseline B: raw fs, 5 files per run atomically into fresh dirs, ${results.baselines.fsRunsPerSecond?.toFixed(0)} runs/s`,
  ];
  for (const build of results.builds) lines.push('', `build ${build.dist}`, formatTable(build.figures));
  if (results.builds.length > 1) {
    const first = results.builds[0]!;
    lines.push('', `builds compared with ${first.dist} (value / first build's value)`);
    for (const f of first.figures) {
      const others = results.builds.slice(1).map((b) => {
        const other = b.figures.find((g) => g.id === f.id);
        return `${b.dist}: ${other ? (other.value / f.value).toFixed(2) : '-'} x`;
      });
      lines.push(`  ${f.label.padEnd(52)} ${others.join('  ')}`);
    }
  }
  if (results.warnings.length > 0) lines.push('', `warnings:\n${results.warnings.map((w) => `  - ${w.split('\n')[0]}`).join('\n')}`);
  lines.push('', results.missedGoals.length === 0 ? 'every goal met' : `goals missed:\n${results.missedGoals.map((m) => `  - ${m}`).join('\n')}`);
  return lines.join('\n');
}
