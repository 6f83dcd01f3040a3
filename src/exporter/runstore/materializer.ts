import { decodeTime } from 'ulid';
import { decodeTraces, plainSpan, viewSpans, writeTracesJson } from '../../codec/otlp/index.js';
import { describeError, faultPoint, fullCollector } from '../../lib/index.js';
import { addTruncations, runTruncation, startsRun } from '../../model/index.js';
import type { AssembledTrace, RunRecord, RunTruncation, Span, TracePhase, TruncationCounts } from '../../model/index.js';
import { priceUsage, type PriceBook } from '../../pricing/index.js';
import { logRecordLines, mapTrace } from '../../semconv/index.js';
import {
  adoptStagedUploads,
  appendRunLogs,
  directoryBytesSync,
  moveRun,
  newRunId,
  parseMetadata,
  parseTruncation,
  refreshArtifactsCount,
  runDirectory,
  writeRun,
  type IndexedWrite,
  type RunFiles,
} from '../../store/index.js';
import type { RunFinished, RunningRun, UsageIncrement } from '../../telemetry/index.js';
import { RunAccounting } from './accounting.js';
import { mergeSpans } from './merge.js';
import { RecentTrace } from './recent-trace.js';
import { isRetryableWriteError } from './retry.js';
import type { TraceRun } from './trace-runs.js';
import { join } from 'node:path';

/** What the materializer needs besides the file I/O. */
export interface MaterializerOptions {
  runsDir: string;
  /** What to do with traces that carry no GenAI or paracle span (`ingest.unrecognized`). */
  unrecognized: 'agent' | 'drop';
  /** How many traces' counted tokens and cost to remember (older ones are read back from the store). */
  countedCapacity: number;
  /** JSON text in inputs/outputs nested deeper than this stays text (`ingest.limits.attribute_value_depth_limit`). */
  documentDepthLimit?: number;
}

/**
 * Spans from which a trace is written from packed spans (views that unpack a span when it is
 * read, see codec/otlp viewSpans): decoded, a large trace and the span tree mapped from it
 * would not fit beside each other in the memory bound; the worker also collects its garbage
 * between the write's stages.
 */
export const LARGE_TRACE_SPANS = 10_000;

/**
 * A function that runs a full garbage collection of the calling thread's heap when given
 * {@link LARGE_TRACE_SPANS} spans or more, else nothing: for the worker between a write's
 * stages and after it (the event loop collects once it has handed a large trace over).
 * Measured on a root with 200,000 children: the stages' garbage (the stored trace.json's
 * parse tree, the span tree, the JSON text) is ~1 KB a span and V8 collects it late, so the
 * process's peak was 1,050 MiB without and 674 MiB with; a full collection of a heap that
 * size takes tens of milliseconds, against seconds for the write.
 */
export function largeTraceReclaimer(): (spans: number) => void {
  const gc = fullCollector();
  return (spans) => {
    if (spans >= LARGE_TRACE_SPANS) gc();
  };
}

/** What a run written without part of its telemetry says was left out. */
const LEFT_OUT = ['span attributes', 'span events', 'span links', 'log records'];

/** One trace to write, with where its run lives now (null: nowhere yet). */
export interface MaterializeJob {
  trace: AssembledTrace;
  location: TraceRun | null;
}

/** A metric change, for the thread that holds the metrics. */
export type MetricEvent =
  | { type: 'usage'; increments: UsageIncrement[] }
  | { type: 'finished'; run: RunFinished }
  | { type: 'running'; traceId: string; run: RunningRun | null }
  | { type: 'materialized'; kind: RunRecord['kind']; seconds: number };

/** Something to log, for the thread that holds the logger. */
export interface LogEvent {
  fields: Record<string, unknown>;
  message: string;
}

/** What materializing one trace did. */
export interface MaterializeOutcome {
  /** Where the run lives now; the job's location when nothing was written. */
  location: TraceRun | null;
  /** The run directory written, for the index; null when none was. */
  indexed: IndexedWrite | null;
  metrics: MetricEvent[];
  warnings: LogEvent[];
  /** A final run was written with tokens the price book could not price. */
  unpriced: boolean;
}

/**
 * Turns one assembled trace into its run directory: merges late spans with the stored
 * trace, maps (semconv), prices, moves the run when its id changed, adopts staged uploads,
 * writes it and keeps the run metrics idempotent. A trace the mapping or a writer fails on
 * for a reason other than the disk (see retry.ts) is written again without its attributes,
 * events, links and log records, and its `truncated` block says so. Synchronous file I/O through `io`: it runs
 * in the run-store exporter's worker thread. A trace's jobs must come one at a time, in
 * order, always to the same materializer (it remembers what it counted per trace).
 */
export class Materializer {
  private readonly accounting: RunAccounting;
  private readonly recent: RecentTrace;
  private metrics: MetricEvent[] = [];
  /**
   * The spans (stored and new) of the last write: once the job is dropped, all that write
   * built is garbage, which the worker collects for a large trace before the next job reads
   * its own stored trace back beside it.
   */
  lastWriteSpans = 0;

  constructor(
    private readonly options: MaterializerOptions,
    private readonly priceBook: PriceBook,
    private readonly io: RunFiles,
    /**
     * Called with the trace's span count between the stages of a write (read back, map),
     * once what the stage before built is garbage: the worker collects it for large traces,
     * whose garbage would otherwise pile up beside the next stage's (and after the job, see
     * {@link lastWriteSpans}).
     */
    private readonly reclaim: (spans: number) => void = () => undefined,
  ) {
    const sink = {
      usageAdded: (increments: readonly UsageIncrement[]) => this.metrics.push({ type: 'usage', increments: [...increments] }),
      runFinished: (run: RunFinished) => this.metrics.push({ type: 'finished', run }),
      running: (traceId: string, run: RunningRun | null) => this.metrics.push({ type: 'running', traceId, run }),
    };
    const readMetadata = ({ kind, runId }: TraceRun | { kind: RunRecord['kind']; runId: string }): string | null =>
      io.readText(join(runDirectory(options.runsDir, kind, runId), 'metadata.yaml'));
    this.accounting = new RunAccounting(readMetadata, sink, options.countedCapacity);
    this.recent = new RecentTrace(io, reclaim);
  }

  /**
   * Writes the job's trace; throws {@link StoreError} when the file system fails (nothing
   * counted then), or when even the trace without its telemetry cannot be written.
   */
  materialize(job: MaterializeJob): MaterializeOutcome {
    try {
      return this.write(job, null);
    } catch (err) {
      if (isRetryableWriteError(err)) throw err;
      const spans = job.trace.spans.map((span) => ({ ...plainSpan(span), attributes: [], events: [], links: [] }));
      const outcome = this.write({ ...job, trace: { ...job.trace, spans, logs: [] } }, describeError(err));
      outcome.warnings.unshift({
        fields: { err: describeError(err), trace_id: job.trace.traceId },
        message: 'writing a run failed on its telemetry; written without attributes, events, links and log records',
      });
      return outcome;
    }
  }

  /**
   * Counts the artifacts of the trace's run again after an upload (staged ones join it
   * first); `indexed` is set when its metadata changed. Nothing happens while it has no run.
   */
  artifactsChanged(traceId: string, location: TraceRun | null): MaterializeOutcome {
    const outcome: MaterializeOutcome = { location, indexed: null, metrics: [], warnings: [], unpriced: false };
    if (location === null) return outcome;
    adoptStagedUploads(this.options.runsDir, traceId, location, this.io);
    const metadata = refreshArtifactsCount(this.options.runsDir, location, this.io);
    if (metadata) outcome.indexed = { kind: location.kind, runId: location.runId, replaced: null, metadata };
    return outcome;
  }

  private write(job: MaterializeJob, failure: string | null): MaterializeOutcome {
    this.metrics = [];
    this.lastWriteSpans = 0;
    const outcome: MaterializeOutcome = { location: job.location, indexed: null, metrics: this.metrics, warnings: [], unpriced: false };
    const started = performance.now();
    const { trace, location } = job;
    if (trace.spans.length === 0) {
      this.appendLateLogs(trace, location, outcome);
      return outcome;
    }
    // A finished run never goes back to running (e.g. spans replayed after a restart).
    if (location?.final && !isFinal(trace.phase)) return outcome;
    const rewrite = location !== null && location.hasTrace !== false;
    // Another trace's write may be large: the spans kept for late ones go first.
    if (rewrite || trace.spans.length >= LARGE_TRACE_SPANS) this.recent.keepOnly(trace.traceId);
    const stored = rewrite ? this.storedSpans(trace.traceId, location) : null;
    const spans = stored ? mergeSpans(stored.spans, trace.spans) : trace.spans;
    this.lastWriteSpans = spans.length;
    // The stored trace.json's text and parse tree.
    if (stored?.readBack) this.reclaim(spans.length);
    const phase = settledPhase(trace.phase, spans);
    const mapped = mapTrace({ ...trace, phase, spans }, { unrecognized: this.options.unrecognized, documentDepthLimit: this.options.documentDepthLimit });
    // The span tree the mapping built.
    this.reclaim(spans.length);
    if (!mapped) return outcome;
    faultPoint('run-mapped');
    // A replay stays linked to its original even when the replayed agent does not say so.
    const replayOf = mapped.replayOf ?? location?.replayOf ?? null;
    const truncated = this.truncation(trace, location !== null && location.hasTrace !== false ? location : null, failure);
    const record = { ...this.priced({ ...mapped, replayOf }, isFinal(phase), outcome), truncated };
    const metadataOnly = phase === 'started';
    const next: TraceRun = {
      kind: record.kind,
      runId: chooseRunId(location, record, trace.traceId),
      final: isFinal(phase),
      keepsId: isFinal(phase) || location?.keepsId === true,
      replayOf,
      hasTrace: !metadataOnly || location?.hasTrace === true,
    };
    const counted = this.accounting.countedBefore(trace.traceId, location ?? undefined, record);
    const moved = location !== null && (location.kind !== next.kind || location.runId !== next.runId);
    // One rename: a crash after it leaves the run (with its old metadata, naming the trace)
    // in its new place, where the index finds it on restart and the replayed write lands.
    if (moved) moveRun(this.options.runsDir, location, next, this.io);
    // Uploads that came before the run had a directory join it before its metadata is
    // written, so that `artifacts_count` counts them.
    try {
      adoptStagedUploads(this.options.runsDir, trace.traceId, next, this.io);
    } catch (err) {
      outcome.warnings.push({ fields: { err: String(err), run_id: next.runId }, message: 'moving staged uploads into a run failed' });
    }
    const written = this.writeFiles(next.runId, record, metadataOnly ? null : spans);
    // Kept for late spans, unless this write left something out (the file has less than `spans`).
    if (!metadataOnly && failure === null && spans.length >= LARGE_TRACE_SPANS) this.recent.remember(trace.traceId, traceFile(written.dir), spans);
    faultPoint('run-written');
    const { metadata, input, output, mtimeMs } = written;
    const replaced = moved ? { kind: location.kind, runId: location.runId } : null;
    // Counted here, off the event loop, which would otherwise list the directory to index it.
    const bytes = directoryBytesSync(written.dir);
    outcome.indexed = { kind: record.kind, runId: next.runId, replaced, metadata, input, output, mtimeMs, bytes };
    outcome.location = next;
    this.accounting.written(trace.traceId, next.runId, record, counted);
    this.metrics.push({ type: 'materialized', kind: record.kind, seconds: (performance.now() - started) / 1000 });
    return outcome;
  }

  /** Writes the run's files; `spans` null: its metadata only. */
  private writeFiles(runId: string, record: RunRecord, spans: readonly Span[] | null): ReturnType<typeof writeRun> {
    const traceJson = spans === null ? '' : { write: (sink: (chunk: Uint8Array) => void) => writeTracesJson(spans, sink) };
    return writeRun(this.options.runsDir, { runId, record, traceJson }, { metadataOnly: spans === null }, this.io);
  }

  private priced(record: RunRecord, final: boolean, outcome: MaterializeOutcome): RunRecord {
    const cost = priceUsage(record.usageByModel, this.priceBook, new Date(record.startedAtMs));
    if (final && cost.unpriced.length > 0) {
      outcome.unpriced = true;
      const models = cost.unpriced.map((g) => ({ provider: g.provider, model: g.model }));
      outcome.warnings.push({ fields: { trace_id: record.traceId, models }, message: 'no price for a model: its cost counts as 0' });
    }
    const { costUsd, costSource, usageByModel, priceBookVersion } = cost;
    return { ...record, costUsd, costSource, usageByModel, priceBookVersion };
  }

  /** Late log records alone: added to the run's logs.txt, every other file left as it is. */
  private appendLateLogs(trace: AssembledTrace, location: TraceRun | null, outcome: MaterializeOutcome): void {
    const lines = location ? logRecordLines(trace.logs, this.storedSpans(trace.traceId, location).spans) : [];
    if (!location || !appendRunLogs(this.options.runsDir, location, lines, this.io)) {
      outcome.warnings.push({
        fields: { trace_id: trace.traceId, log_records: trace.logs.length },
        message: 'late log records of a trace with no stored run were dropped',
      });
    }
  }

  /**
   * The run's `truncated` block: what the limits cut from this snapshot and, for a run
   * written before (`stored`), from what it held then; and what `failure` made this write
   * leave out. Counts of a rewrite are the larger of the stored and the new ones, so a
   * replay after a restart does not count its cuts twice.
   */
  private truncation(trace: AssembledTrace, stored: TraceRun | null, failure: string | null): RunTruncation | null {
    const counts: TruncationCounts = addTruncations({}, trace.truncated);
    const leftOut = failure === null ? [] : [...LEFT_OUT];
    if (stored !== null) {
      const text = this.io.readText(join(runDirectory(this.options.runsDir, stored.kind, stored.runId), 'metadata.yaml'));
      const before = text === null ? { counts: {}, leftOut: [] } : parseTruncation(parseMetadata(text).truncated);
      for (const [limit, n] of Object.entries(before.counts) as [keyof TruncationCounts, number][]) counts[limit] = Math.max(counts[limit] ?? 0, n);
      for (const part of before.leftOut) if (!leftOut.includes(part)) leftOut.push(part);
    }
    return runTruncation(counts, leftOut, failure ?? '');
  }

  /**
   * The spans of the trace's stored run: those kept from its last write while its file is
   * unchanged, else its trace.json read back (`readBack`).
   */
  private storedSpans(traceId: string, location: TraceRun): { spans: readonly Span[]; readBack: boolean } {
    const path = traceFile(runDirectory(this.options.runsDir, location.kind, location.runId));
    const kept = this.recent.recall(traceId, path);
    if (kept !== null) return { spans: kept, readBack: false };
    const bytes = this.io.readBytes(path);
    if (!bytes || bytes.length === 0) return { spans: [], readBack: true };
    const { spans } = decodeTraces(bytes, 'json', { atOnce: true });
    return { spans: spans.length >= LARGE_TRACE_SPANS ? viewSpans(spans) : spans, readBack: true };
  }
}

function traceFile(runDir: string): string {
  return join(runDir, 'trace.json');
}

function isFinal(phase: TracePhase): boolean {
  return phase === 'complete' || phase === 'orphaned';
}

/**
 * An orphan whose merged spans include the root (stored before a restart, or the root's WAL
 * segment already checkpointed) is simply complete.
 */
function settledPhase(phase: TracePhase, spans: readonly Span[]): TracePhase {
  return phase === 'orphaned' && spans.some(startsRun) ? 'complete' : phase;
}

/**
 * A run keeps its id once final (or when it was made ahead of its spans with an id already
 * handed out). Before that the id follows the run's start time, which can move earlier when
 * the root (exported last) arrives after its children; the rest of the id comes from the
 * trace id, so re-deriving it after a crash gives the same directory.
 */
function chooseRunId(location: TraceRun | null, record: RunRecord, traceId: string): string {
  if (location?.keepsId) return location.runId;
  if (location && decodeTime(location.runId) === Math.floor(record.startedAtMs)) return location.runId;
  return newRunId(record.startedAtMs, traceId);
}
