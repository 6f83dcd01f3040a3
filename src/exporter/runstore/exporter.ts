import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { packBatch } from '../../codec/otlp/index.js';
import { collectSoon, Limiter } from '../../lib/index.js';
import type { AssembledTrace, LogRecord } from '../../model/index.js';
import type { Component, LogsConsumer, StoredSync, TraceConsumer } from '../../contracts/index.js';
import type { PriceBookFiles } from '../../pricing/index.js';
import { logRecordLines } from '../../semconv/index.js';
import { appendUntracedLogs, sweepLocalCopies, type IndexedWrite, type SharedStore, type TraceRunEntry } from '../../store/index.js';
import type { Logger, Metrics, RunningRun } from '../../telemetry/index.js';
import { LARGE_TRACE_SPANS, type MaterializeOutcome } from './materializer.js';
import { MaterializerPool } from './pool.js';
import { SharedWrites } from './shared-writes.js';
import { TraceRunCache, type TraceRun } from './trace-runs.js';
import { backoffMs, isRetryableWriteError } from './retry.js';
import type { MasterKey } from '../../crypt/index.js';

/** Options of the run-store exporter. */
export interface RunStoreExporterOptions {
  runsDir: string;
  /** What to do with traces that carry no GenAI or paracle span (`ingest.unrecognized`). */
  unrecognized: 'agent' | 'drop';
  /** Traces handed to the workers at the same time (they queue there, and are written one by one). */
  concurrency?: number;
  /** Worker threads that write runs; by default one per spare CPU, at most 2. */
  workers?: number;
  /** How many trace id → run locations to remember for late spans (others are looked up in the index). */
  locationCapacity?: number;
  /** The price book's files, which each worker loads (it prices the tokens no span reported a cost for). */
  pricing: PriceBookFiles;
  /** The master key of an encrypted store, handed to the workers; absent or null: plaintext. */
  masterKey?: MasterKey | null;
  /** How many traces' counted tokens and cost to remember (older ones are read back from the store). */
  countedCapacity?: number;
  /**
   * The run index: told of each run directory written, so it follows the writes, and asked
   * where a trace's run lives when this process did not write it (a restart, a replay).
   */
  index?: { runWritten(written: IndexedWrite): void; locateTrace(traceId: string): TraceRunEntry | null };
  /** JSON text in inputs/outputs nested deeper than this stays text (`ingest.limits.attribute_value_depth_limit`). */
  documentDepthLimit?: number;
  /** The shared backend (`runs.backend: shared`): every write is published there before it resolves. */
  shared?: SharedStore | null;
}

// After shutdown began, a failing write is tried this many more times before giving up.
const ATTEMPTS_WHEN_STOPPING = 3;
// On the shared backend: how often uploads staged here are matched with runs other replicas wrote.
const ADOPT_INTERVAL_MS = 1000;

/**
 * Turns assembled traces into run directories, in worker threads (./materializer.ts does the
 * work). Writes of one trace happen in the order they were handed in; a run first written
 * while running keeps its directory unless its kind or start time (and so its ULID) turn out
 * different once the root arrives. Late spans are merged with the stored trace and the run
 * is rewritten; late log records alone are only added to its `logs.txt`. Log records of no
 * trace are appended to the untraced log files. Disk errors of runs are retried; a trace the
 * mapping or a writer fails on otherwise is written without its telemetry (./materializer.ts).
 * `syncStored` makes everything written durable (the write-ahead log's checkpoint).
 */
export class RunStoreExporter implements TraceConsumer, LogsConsumer, StoredSync, Component {
  private readonly locations: TraceRunCache;
  private readonly chains = new Map<string, Promise<void>>();
  /** The latest snapshot handed in per trace whose writes are not all done. */
  private readonly newest = new Map<string, AssembledTrace>();
  private untraced: Promise<void> = Promise.resolve();
  private readonly limiter: Limiter;
  private readonly pool: MaterializerPool;
  private readonly shared: SharedWrites | null;
  /** Runs written as running, per trace, for `paracle_runs_running`. */
  private readonly running = new Map<string, RunningRun>();
  private stopping = false;
  private unpriced = 0;
  private adoptTimer: NodeJS.Timeout | null = null;
  private adopting: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: RunStoreExporterOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.limiter = new Limiter(options.concurrency ?? 64);
    const lookup = (traceId: string): TraceRunEntry | null => options.index?.locateTrace(traceId) ?? null;
    this.locations = new TraceRunCache(lookup, options.locationCapacity ?? 200_000);
    this.shared = options.shared ? new SharedWrites(options.runsDir, options.shared, this.locations) : null;
    const masterKey = options.masterKey ? { hex: options.masterKey.bytes.toString('hex'), source: options.masterKey.source } : null;
    const setup = {
      runsDir: options.runsDir,
      unrecognized: options.unrecognized,
      pricing: options.pricing,
      countedCapacity: options.countedCapacity ?? 10_000,
      documentDepthLimit: options.documentDepthLimit,
      masterKey,
    };
    const workers = options.workers ?? Math.min(2, Math.max(1, availableParallelism() - 1));
    this.pool = new MaterializerPool(setup, workers, logger);
    metrics.observeRunsRunning(() => this.running.values());
  }

  /**
   * Final runs written with tokens the price book could not price (their cost counts as 0),
   * each also logged; a run rewritten by late spans counts again.
   */
  get unpricedRuns(): number {
    return this.unpriced;
  }

  /**
   * Starts the worker threads (each loads the price book); resolves once they can write. On
   * the shared backend, also starts matching staged uploads with runs written elsewhere.
   */
  async start(): Promise<void> {
    await this.pool.start();
    const shared = this.shared;
    if (!shared || !this.options.shared) return;
    const kept = await sweepLocalCopies(this.options.runsDir, this.options.shared);
    if (kept > 0) {
      this.logger.warn(
        { run_directories: kept },
        'run directories in the runs dir that the shared store does not hold: writes the log replays now, or a local store never migrated (paracle store migrate --to shared)',
      );
    }
    this.adoptTimer = setInterval(() => {
      this.adopting = this.adopting
        .then(async () => {
          for (const traceId of await shared.stagedWithRuns()) if (!this.stopping) await this.artifactsChanged(traceId);
        })
        .catch((err: unknown) => this.logger.warn({ err }, 'looking for the runs of staged uploads failed'));
    }, ADOPT_INTERVAL_MS);
  }

  /**
   * Finishes every write already handed in (failing ones get a few more attempts), makes it
   * durable and stops the workers.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.adoptTimer) clearInterval(this.adoptTimer);
    await this.adopting;
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
    await this.untraced;
    await this.pool.shutdown();
  }

  /** Makes every run file written so far durable (see {@link StoredSync}). */
  syncStored(): Promise<void> {
    return this.pool.syncWritten();
  }

  /** Appends log records that belong to no trace to `<runs dir>/untraced/`, in arrival order. */
  consumeLogs(logs: LogRecord[]): Promise<void> {
    const lines = logRecordLines(logs, []);
    const appended = this.untraced.then(() => appendUntracedLogs(this.options.runsDir, lines));
    this.untraced = appended.catch(() => undefined);
    return appended;
  }

  consumeTrace(trace: AssembledTrace): Promise<void> {
    this.newest.set(trace.traceId, trace);
    return this.chain(trace.traceId, (previous) =>
      previous.then(() => this.limiter.run(() => (this.superseded(trace) ? Promise.resolve() : this.materializeWithRetry(trace)))),
    );
  }

  /**
   * Uploads for `traceId` landed (in its run's `artifacts/` or staged): once the trace's
   * writes handed in before are done, staged ones join its run and `artifacts_count` is
   * counted again, so metadata says what is on disk whichever came first. Nothing happens
   * while the trace has no run (its first write takes the staged uploads).
   */
  artifactsChanged(traceId: string): Promise<void> {
    const work = (location: TraceRun | null): Promise<MaterializeOutcome> => this.pool.artifactsChanged(traceId, location);
    return this.chain(traceId, (previous) =>
      previous
        .catch(() => undefined)
        .then(async () => {
          if (this.shared) await this.shared.write(traceId, work, (outcome) => this.apply(outcome));
          else this.apply(await work(this.locations.get(traceId)));
        })
        .catch((err: unknown) => this.logger.warn({ err, trace_id: traceId }, 'taking an uploaded artifact into its run failed')),
    );
  }

  /** Runs `next` after the trace's work handed in before, and forgets the chain once it ends. */
  private chain(traceId: string, next: (previous: Promise<void>) => Promise<void>): Promise<void> {
    const current = next(this.chains.get(traceId) ?? Promise.resolve());
    this.chains.set(traceId, current);
    const forget = (): void => {
      if (this.chains.get(traceId) !== current) return;
      this.chains.delete(traceId);
      this.newest.delete(traceId);
    };
    current.then(forget, forget);
    return current;
  }

  /**
   * A `started` snapshot whose turn comes after a later snapshot of the same trace was
   * handed in is not written: the later one holds every span it holds (the assembler
   * snapshots one growing trace state), so writing it would only be overwritten at once.
   * When writes lag behind ingest this spares a run's first metadata-only write.
   */
  private superseded(trace: AssembledTrace): boolean {
    return trace.phase === 'started' && this.newest.get(trace.traceId) !== trace;
  }

  private async materializeWithRetry(trace: AssembledTrace): Promise<void> {
    for (let attempt = 0, lastChance = ATTEMPTS_WHEN_STOPPING; ; attempt++) {
      try {
        return await this.materialize(trace);
      } catch (err) {
        if (this.stopping) lastChance--;
        if (!isRetryableWriteError(err) || lastChance <= 0) throw err;
        const delay = backoffMs(attempt);
        this.logger.warn({ err, trace_id: trace.traceId, retry_in_ms: delay }, 'writing a run failed; will retry');
        await sleep(delay);
      }
    }
  }

  private async materialize(trace: AssembledTrace): Promise<void> {
    // Only what the worker reads crosses the thread boundary; spans held packed go packed,
    // in one buffer, and are decoded there (packed again on a retry: the buffer moved).
    const { traceId, phase, logs, late, truncated } = trace;
    const work = (location: TraceRun | null): Promise<MaterializeOutcome> => {
      const held = trace.held?.();
      const spans = held ? { packed: packBatch(held), origins: held.origins } : trace.spans;
      const sent = this.pool.materialize({ trace: { traceId, phase, spans, logs, late, truncated }, location });
      // A large trace's spans were decoded here (a request's worth at a time) and packed: that
      // garbage, ~0.7 KB a span, would stay resident while the worker writes the trace.
      const count = held?.count ?? trace.spans.length;
      if (count >= LARGE_TRACE_SPANS) collectSoon();
      return sent;
    };
    if (this.shared) {
      // Late log records alone change the run they were given (its logs.txt).
      const held = trace.held?.();
      const noSpans = held ? held.count === 0 : trace.spans.length === 0;
      await this.shared.write(traceId, work, (outcome) => this.apply(outcome), noSpans);
      return;
    }
    const outcome = await work(this.locations.get(traceId));
    if (outcome.location) this.locations.set(traceId, outcome.location);
    this.apply(outcome);
  }

  /** Applies what a worker did to the index, the metrics and the log. */
  private apply(outcome: MaterializeOutcome): void {
    for (const warning of outcome.warnings) this.logger.warn(warning.fields, warning.message);
    if (outcome.unpriced) this.unpriced++;
    if (outcome.indexed) this.options.index?.runWritten(outcome.indexed);
    for (const event of outcome.metrics) {
      if (event.type === 'usage') this.metrics.usageAdded(event.increments);
      else if (event.type === 'finished') this.metrics.runFinished(event.run);
      else if (event.type === 'materialized') this.metrics.materialized(event.kind, event.seconds);
      else if (event.run) this.running.set(event.traceId, event.run);
      else this.running.delete(event.traceId);
    }
  }
}
