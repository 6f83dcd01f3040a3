import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTime } from 'ulid';
import { decodeTraces, encodeTracesJson } from '../../codec/otlp/index.js';
import { Limiter } from '../../lib/index.js';
import type { AssembledTrace, LogRecord, RunRecord, Span, TracePhase } from '../../model/index.js';
import type { Component, LogsConsumer, TraceConsumer } from '../../contracts/index.js';
import { priceUsage } from '../../pricing/index.js';
import type { PriceBook } from '../../pricing/index.js';
import { logRecordLines, mapTrace } from '../../semconv/index.js';
import { adoptStagedUploads, appendRunLogs, appendUntracedLogs, moveRun, newRunId, readRunFile, writeRun, type IndexedWrite } from '../../store/index.js';
import type { Logger, Metrics } from '../../telemetry/index.js';
import { RunAccounting } from './accounting.js';
import { TraceRunCache, type TraceRun } from './trace-runs.js';
import { mergeSpans } from './merge.js';
import { backoffMs, isRetryableWriteError } from './retry.js';

/** Options of the run-store exporter. */
export interface RunStoreExporterOptions {
  runsDir: string;
  /** What to do with traces that carry no GenAI or paracle span (`ingest.unrecognized`). */
  unrecognized: 'agent' | 'drop';
  /** Run directories written at the same time. */
  concurrency?: number;
  /** How many trace id → run locations to remember for late spans. */
  locationCapacity?: number;
  /** Prices the tokens no span reported a cost for. */
  priceBook: PriceBook;
  /** How many traces' counted tokens and cost to remember (older ones are read back from the store). */
  countedCapacity?: number;
  /** Told of each run directory written, so the run index follows the writes. */
  index?: { runWritten(written: IndexedWrite): void };
}

// After shutdown began, a failing write is tried this many more times before giving up.
const ATTEMPTS_WHEN_STOPPING = 3;

/**
 * Turns assembled traces into run directories. Writes of one trace happen in the order they
 * were handed in; a run first written while running keeps its directory unless its kind or
 * start time (and so its ULID) turn out different once the root arrives. Late spans are
 * merged with the stored trace and the run is rewritten; late log records alone are only
 * added to its `logs.txt`. Log records of no trace are appended to the untraced log files.
 * Disk errors of runs are retried.
 */
export class RunStoreExporter implements TraceConsumer, LogsConsumer, Component {
  private readonly locations: TraceRunCache;
  private readonly chains = new Map<string, Promise<void>>();
  /** The latest snapshot handed in per trace whose writes are not all done. */
  private readonly newest = new Map<string, AssembledTrace>();
  private untraced: Promise<void> = Promise.resolve();
  private readonly limiter: Limiter;
  private readonly accounting: RunAccounting;
  private stopping = false;
  private unpriced = 0;

  constructor(
    private readonly options: RunStoreExporterOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.limiter = new Limiter(options.concurrency ?? 16);
    this.locations = new TraceRunCache(options.runsDir, options.locationCapacity ?? 200_000);
    this.accounting = new RunAccounting(options.runsDir, metrics, options.countedCapacity ?? 10_000);
  }

  /**
   * Final runs written with tokens the price book could not price (their cost counts as 0),
   * each also logged; a run rewritten by late spans counts again.
   */
  get unpricedRuns(): number {
    return this.unpriced;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Finishes every write already handed in (failing ones get a few more attempts). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
    await this.untraced;
  }

  /** Appends log records that belong to no trace to `<runs dir>/untraced/`, in arrival order. */
  consumeLogs(logs: LogRecord[]): Promise<void> {
    const lines = logRecordLines(logs, []);
    const appended = this.untraced.then(() => appendUntracedLogs(this.options.runsDir, lines));
    this.untraced = appended.catch(() => undefined);
    return appended;
  }

  consumeTrace(trace: AssembledTrace): Promise<void> {
    const previous = this.chains.get(trace.traceId) ?? Promise.resolve();
    this.newest.set(trace.traceId, trace);
    const current = previous.then(() =>
      this.limiter.run(() => (this.superseded(trace) ? Promise.resolve() : this.materializeWithRetry(trace))),
    );
    this.chains.set(trace.traceId, current);
    const forget = (): void => {
      if (this.chains.get(trace.traceId) !== current) return;
      this.chains.delete(trace.traceId);
      this.newest.delete(trace.traceId);
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
    const started = performance.now();
    const location = await this.locations.get(trace.traceId);
    if (location?.movedFrom) {
      // A move the map announced may have been cut short by a crash: finish it first (a
      // source already gone means it was made).
      await moveRun(this.options.runsDir, location.movedFrom, location);
      location.movedFrom = null;
    }
    if (trace.spans.length === 0) return this.appendLateLogs(trace, location);
    // A finished run never goes back to running (e.g. spans replayed after a restart).
    if (location?.final && !isFinal(trace.phase)) return;
    const merge = location !== null && location.hasTrace !== false;
    const spans = merge ? mergeSpans(await this.storedSpans(location), trace.spans) : trace.spans;
    const phase = settledPhase(trace.phase, spans);
    const mapped = mapTrace({ ...trace, phase, spans }, { unrecognized: this.options.unrecognized });
    if (!mapped) return;
    const record = this.priced(mapped, isFinal(phase));
    const metadataOnly = phase === 'started';
    const next: TraceRun = {
      kind: record.kind,
      runId: chooseRunId(location, record, trace.traceId),
      final: isFinal(phase),
      hasTrace: !metadataOnly || location?.hasTrace === true,
      movedFrom: null,
    };
    const counted = await this.accounting.countedBefore(trace.traceId, location ?? undefined, record);
    const moved = location !== null && (location.kind !== next.kind || location.runId !== next.runId);
    // The map is written before the directory, so a crash in between still finds this run;
    // a move is announced in it before it is made, so a crash in between cannot leave the old
    // directory behind as a second run.
    await this.locations.set(trace.traceId, location, moved ? { ...next, movedFrom: { kind: location.kind, runId: location.runId } } : next);
    if (moved) await moveRun(this.options.runsDir, location, next);
    const traceJson = metadataOnly ? '' : encodeTracesJson(spans);
    const written = await writeRun(this.options.runsDir, { runId: next.runId, record, traceJson }, { metadataOnly });
    const replaced = moved ? { kind: location.kind, runId: location.runId } : null;
    // Uploads that came before the run had a directory join it now, before any later
    // write of the trace can move the run.
    try {
      await adoptStagedUploads(this.options.runsDir, trace.traceId, next);
    } catch (err) {
      this.logger.warn({ err, run_id: next.runId }, 'moving staged uploads into a run failed');
    }
    this.options.index?.runWritten({
      kind: record.kind,
      runId: next.runId,
      replaced,
      metadata: written.metadata,
      input: written.input,
      output: written.output,
    });
    this.accounting.written(trace.traceId, next.runId, record, counted);
    this.metrics.materialized(record.kind, (performance.now() - started) / 1000);
  }

  private priced(record: RunRecord, final: boolean): RunRecord {
    const cost = priceUsage(record.usageByModel, this.options.priceBook, new Date(record.startedAtMs));
    if (final && cost.unpriced.length > 0) {
      this.unpriced++;
      const models = cost.unpriced.map((g) => ({ provider: g.provider, model: g.model }));
      this.logger.warn({ trace_id: record.traceId, models }, 'no price for a model: its cost counts as 0');
    }
    const { costUsd, costSource, usageByModel, priceBookVersion } = cost;
    return { ...record, costUsd, costSource, usageByModel, priceBookVersion };
  }

  /** Late log records alone: added to the run's logs.txt, every other file left as it is. */
  private async appendLateLogs(trace: AssembledTrace, location: TraceRun | null): Promise<void> {
    const lines = location ? logRecordLines(trace.logs, await this.storedSpans(location)) : [];
    if (!location || !(await appendRunLogs(this.options.runsDir, location, lines))) {
      this.logger.warn({ trace_id: trace.traceId, log_records: trace.logs.length }, 'late log records of a trace with no stored run were dropped');
    }
  }

  private async storedSpans(location: TraceRun): Promise<Span[]> {
    const text = await readRunFile(this.options.runsDir, location.kind, location.runId, 'trace.json');
    if (!text) return [];
    return decodeTraces(Buffer.from(text), 'json').spans;
  }
}

function isFinal(phase: TracePhase): boolean {
  return phase === 'complete' || phase === 'orphaned';
}

/**
 * An orphan whose merged spans include the root (stored before a restart, or the root's WAL
 * segment already checkpointed) is simply complete.
 */
function settledPhase(phase: TracePhase, spans: readonly Span[]): TracePhase {
  return phase === 'orphaned' && spans.some((s) => s.parentSpanId === '') ? 'complete' : phase;
}

/**
 * A run keeps its id once final. Before that the id follows the run's start time, which can
 * move earlier when the root (exported last) arrives after its children; the rest of the id
 * comes from the trace id, so re-deriving it after a crash gives the same directory.
 */
function chooseRunId(location: TraceRun | null, record: RunRecord, traceId: string): string {
  if (location?.final) return location.runId;
  if (location && decodeTime(location.runId) === Math.floor(record.startedAtMs)) return location.runId;
  return newRunId(record.startedAtMs, traceId);
}
