import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { RetryableError } from '../../lib/index.js';
import type { AssembledTrace, HeldSpans, LogRecord, Span, TracePhase, TruncationCounts } from '../../model/index.js';
import type {
  Component,
  EncodedRequest,
  LogsConsumer,
  MemoryGate,
  SettledTraces,
  SpanQuota,
  SpansConsumer,
  TraceConsumer,
} from '../../contracts/index.js';
import type { Logger } from '../../telemetry/index.js';
import { MemoryBudget, type MemoryLimits } from './memory-budget.js';
import { RecentSet } from './recent-set.js';
import { addLogs, addSpans, newTraceState, readyPhase, spanRoom, unpackSpans, type AssemblyTiming, type TraceState } from './trace-state.js';

/** Options of the assembler, from `assembly.*`, `ingest.max_*_in_memory` and `ingest.limits`. */
export interface AssemblerOptions extends AssemblyTiming, MemoryLimits {
  /** `ingest.limits.spans_per_trace_limit`; unlimited when absent. */
  maxSpansPerTrace?: number;
  /** How many finished trace ids to remember for recognising late spans. */
  recentTraceCapacity?: number;
  /** How often the running component checks for ready traces. */
  tickMs?: number;
  /**
   * A trace gets its `started` snapshot (its run appears as running) only once it has been
   * open this long without its root span (`assembly.running_after_ms`): a run that ends
   * sooner is handed on once, final. 0 (the default): at its first span.
   */
  runningAfterMs?: number;
}

/** Seconds a sender is asked to wait when the daemon is stopping. */
const RETRY_AFTER_STOPPING_SECONDS = 5;

/**
 * Spans of one batch added without yielding to the event loop: a few milliseconds of
 * packing, so a batch of 50,000 spans never holds it for long.
 */
const SPANS_PER_SLICE = 2_000;

/**
 * `started` snapshots handed on and not yet stored, at most. More new traces wait here, as
 * a place in a queue, rather than downstream as thousands of pending writes each holding a
 * snapshot; a little above the run-store exporter's write concurrency keeps it busy.
 */
const MAX_STARTS_IN_FLIGHT = 64;

/**
 * Groups spans and log records by trace id and hands each trace on when it is ready (root
 * ended and quiet for the grace period, or orphaned), plus a `started` snapshot when a trace
 * has been open `runningAfterMs` without its root, so its run directory appears as running.
 * Time is a parameter of `tick`, so tests drive it.
 */
export class TraceAssembler implements SpansConsumer, LogsConsumer, SettledTraces, SpanQuota, Component {
  private readonly traces = new Map<string, TraceState>();
  private readonly finished: RecentSet;
  private readonly budget: MemoryBudget;
  private readonly inHandoff = new Set<Promise<void>>();
  /** Hand-offs not yet stored, per trace. */
  private readonly handoffs = new Map<string, number>();
  /** Traces handed on unfinished by a shutdown, or whose storing failed: their data must survive in the WAL. */
  private readonly unfinished = new Set<string>();
  /**
   * Traces not handed on yet that will need a `started` snapshot if still open without a root
   * at the time given (in order of that time).
   */
  private readonly startDue = new Map<TraceState, number>();
  /** Traces whose `started` snapshot waits for a place (in arrival order). */
  private readonly toStart = new Set<TraceState>();
  private startsInFlight = 0;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly next: TraceConsumer & LogsConsumer,
    private readonly options: AssemblerOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.finished = new RecentSet(options.recentTraceCapacity ?? 100_000);
    this.budget = new MemoryBudget(options);
  }

  /** Number of traces being assembled. */
  get tracesInFlight(): number {
    return this.traces.size;
  }

  /** Spans and log records in memory: assembling plus handed on and not yet stored. */
  get spansInMemory(): number {
    return this.budget.spans;
  }

  /** Decoded bytes in memory: reserved by receivers decoding, assembling, and handed on. */
  get bytesInMemory(): number {
    return this.budget.bytes;
  }

  /** The memory bound receivers reserve from while they decode (`ingest.max_bytes_in_memory`). */
  get memory(): MemoryGate {
    return this.budget;
  }

  /**
   * The spans their traces still have room for under `ingest.limits.spans_per_trace_limit`
   * (counting spans held and those of the trace handed on before); the others are refused,
   * and noted in their trace's `truncated` when it is held.
   */
  admit(spans: readonly Span[]): { admitted: Span[]; refused: number; message: string } {
    const limit = this.options.maxSpansPerTrace ?? Infinity;
    const room = new Map<string, number>();
    const admitted: Span[] = [];
    let refused = 0;
    let first = '';
    for (const span of spans) {
      let left = room.get(span.traceId);
      if (left === undefined) {
        const state = this.traces.get(span.traceId);
        left = state ? spanRoom(state, limit) : Math.max(0, limit - this.finished.count(span.traceId));
      }
      if (left > 0) admitted.push(span);
      else {
        refused++;
        first ||= span.traceId;
        const truncated = this.traces.get(span.traceId)?.truncated;
        if (truncated) truncated.spans_per_trace = (truncated.spans_per_trace ?? 0) + 1;
      }
      room.set(span.traceId, left - 1);
    }
    const message = refused === 0 ? '' : `${refused} span${refused === 1 ? '' : 's'} refused: trace ${first} has reached spans_per_trace_limit (${limit})`;
    return { admitted, refused, message };
  }

  /**
   * Takes a batch of spans, or rejects the whole batch with `RetryableError` when a memory
   * bound would be exceeded or the daemon is stopping: never accept-and-drop. Its decoded
   * bytes are counted until its trace is stored; what a receiver reserved for it is taken over.
   * A large batch is taken {@link SPANS_PER_SLICE} spans at a time, yielding to the event loop
   * in between (other requests, `/healthz`); should the daemon begin stopping meanwhile, the
   * spans taken so far are handed on and the batch is refused, to be sent again.
   */
  async consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void> {
    const charge = this.charge(spans.length, source);
    if (charge instanceof RetryableError) throw charge;
    let kept = 0;
    for (let at = 0; at < spans.length; at += SPANS_PER_SLICE) {
      if (at > 0) {
        await yieldToLoop();
        if (this.stopping) {
          this.budget.release(charge * (spans.length - kept));
          throw stoppingError();
        }
      }
      kept += this.addSlice(at === 0 && spans.length <= SPANS_PER_SLICE ? spans : spans.slice(at, at + SPANS_PER_SLICE), charge);
    }
    // Duplicates and spans past the limit are not held: their share of the bytes goes back.
    this.budget.release(charge * (spans.length - kept));
  }

  /** Adds spans to their traces' states, each charged `charge` bytes; returns how many were new. */
  private addSlice(spans: readonly Span[], charge: number): number {
    const nowMs = this.now();
    let kept = 0;
    for (const [traceId, group] of groupByTrace(spans)) {
      const state = this.stateOf(traceId, nowMs);
      const hadSpans = state.spans.length > 0;
      const cutBefore = state.truncated.spans_per_trace ?? 0;
      const added = addSpans(state, group, nowMs, charge, this.options.maxSpansPerTrace);
      const cut = (state.truncated.spans_per_trace ?? 0) - cutBefore;
      if (cut > 0) this.logger.warn({ trace_id: traceId, spans: cut }, 'spans past spans_per_trace_limit dropped');
      this.budget.hold(added, 0);
      kept += added;
      if (!hadSpans && state.spans.length > 0 && !state.late) this.startLater(state, nowMs);
    }
    this.sendStarts();
    return kept;
  }

  /** Takes a batch of log records, refusing it as {@link consumeSpans} does. */
  consumeLogs(logs: LogRecord[], source?: EncodedRequest): Promise<void> {
    const charge = this.charge(logs.length, source);
    if (charge instanceof RetryableError) return Promise.reject(charge);
    const nowMs = this.now();
    for (const [traceId, group] of groupByTrace(logs)) {
      const bytes = charge * group.length;
      this.budget.hold(group.length, 0);
      if (traceId === '') {
        this.track(() => this.next.consumeLogs(group), null, group.length, bytes, { untraced_log_records: group.length });
        continue;
      }
      const state = this.stateOf(traceId, nowMs);
      addLogs(state, group, nowMs);
      state.bytes += bytes;
    }
    return Promise.resolve();
  }

  /** True when nothing of the trace is held, being written, or left unfinished by shutdown. */
  isSettled(traceId: string): boolean {
    return !this.traces.has(traceId) && !this.handoffs.has(traceId) && !this.unfinished.has(traceId);
  }

  /** Hands on every trace that is ready at `nowMs`, and the `started` snapshots due by then. */
  tick(nowMs: number = this.now()): void {
    for (const state of this.traces.values()) {
      const phase = readyPhase(state, nowMs, this.options);
      if (phase) this.handOff(state, phase);
    }
    for (const [state, dueMs] of this.startDue) {
      if (dueMs > nowMs) break;
      this.startDue.delete(state);
      if (!state.rootArrived) this.toStart.add(state);
    }
    this.sendStarts();
  }

  /** Starts the periodic readiness check. */
  start(): Promise<void> {
    if (!this.timer && !this.stopping) {
      this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 100);
      this.timer.unref();
    }
    return Promise.resolve();
  }

  /**
   * Stops taking spans and hands on everything held: traces whose root arrived as complete,
   * the others as interrupted (still running); resolves when all of it is stored.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const state of this.traces.values()) {
      this.handOff(state, state.rootArrived ? 'complete' : 'interrupted');
    }
    while (this.inHandoff.size > 0) await Promise.allSettled([...this.inHandoff]);
  }

  /**
   * Counts a batch's decoded bytes as held (what a receiver reserved for it is taken over)
   * and returns the bytes charged per item, or the error to refuse the batch with.
   */
  private charge(count: number, source: EncodedRequest | undefined): number | RetryableError {
    if (this.stopping) return stoppingError();
    const reserved = source?.reservation?.bytes ?? 0;
    // Whole bytes per item, so that what is released later adds up to what was counted.
    const perItem = count > 0 ? Math.ceil(Math.max(decodedBytes(source), reserved) / count) : 0;
    const extra = perItem * count - reserved;
    const refusal = this.budget.refusal(count, extra, reserved);
    if (refusal) return refusal;
    source?.reservation?.take();
    this.budget.hold(0, extra);
    return perItem;
  }

  private stateOf(traceId: string, nowMs: number): TraceState {
    let state = this.traces.get(traceId);
    if (!state) {
      const late = this.finished.has(traceId);
      state = newTraceState(traceId, nowMs, late, this.finished.count(traceId));
      this.traces.set(traceId, state);
    }
    return state;
  }

  /** Queues the trace's `started` snapshot now, or for `tick` to find once it is due. */
  private startLater(state: TraceState, nowMs: number): void {
    const after = this.options.runningAfterMs ?? 0;
    if (after === 0) this.toStart.add(state);
    else this.startDue.set(state, nowMs + after);
  }

  /**
   * Hands on the `started` snapshots waiting, as far as places allow; each snapshot has the
   * spans held when it is sent.
   */
  private sendStarts(): void {
    for (const state of this.toStart) {
      if (this.startsInFlight >= MAX_STARTS_IN_FLIGHT) return;
      this.toStart.delete(state);
      this.startsInFlight++;
      this.send(snapshot(state, 'started'), 0, 0, () => {
        this.startsInFlight--;
        this.sendStarts();
      });
    }
  }

  private handOff(state: TraceState, phase: TracePhase): void {
    this.traces.delete(state.traceId);
    // A trace handed on before its `started` snapshot got a place needs none: this one
    // supersedes it (the run store would skip it too).
    this.toStart.delete(state);
    this.startDue.delete(state);
    const count = state.spans.length + state.logs.length;
    if (state.spans.length === 0 && !state.late) {
      this.budget.releaseHeld(count, state.bytes);
      this.logger.warn({ trace_id: state.traceId, log_records: state.logs.length, phase }, 'dropped log records of a trace whose spans never came');
      return;
    }
    if (phase === 'complete' || phase === 'orphaned') this.finished.add(state.traceId, state.priorSpans + state.spans.length);
    if (phase === 'interrupted') this.unfinished.add(state.traceId);
    // The trace's share of the budget is released once it is stored, not when handed on:
    // nothing is dropped while the disk is slow.
    this.send(snapshot(state, phase), count, state.bytes);
  }

  private send(trace: AssembledTrace, count: number, bytes: number, after?: () => void): void {
    this.track(() => this.next.consumeTrace(trace), trace.traceId, count, bytes, { trace_id: trace.traceId, phase: trace.phase }, after);
  }

  /** Runs a hand-off, keeping its items counted in memory (and its trace unsettled) until it ends. */
  private track(
    handOff: () => Promise<void>,
    traceId: string | null,
    count: number,
    bytes: number,
    context: Record<string, unknown>,
    after?: () => void,
  ): void {
    if (traceId !== null) this.handoffs.set(traceId, (this.handoffs.get(traceId) ?? 0) + 1);
    const ended = (): void => {
      this.budget.releaseHeld(count, bytes);
      if (traceId !== null) {
        const left = (this.handoffs.get(traceId) ?? 1) - 1;
        if (left > 0) this.handoffs.set(traceId, left);
        else this.handoffs.delete(traceId);
      }
      this.inHandoff.delete(done);
      after?.();
    };
    const done = handOff().then(ended, (err: unknown) => {
      // Never settled: the write-ahead log keeps the trace's records, replayed at the next start.
      if (traceId !== null) this.unfinished.add(traceId);
      this.logger.error({ err, ...context }, 'storing telemetry failed; its write-ahead log records are kept for the next start');
      ended();
    });
    this.inHandoff.add(done);
  }
}

function stoppingError(): RetryableError {
  return new RetryableError('unavailable', 'the daemon is shutting down', RETRY_AFTER_STOPPING_SECONDS);
}

/** A batch's decoded bytes: the codec's count, else (a caller that has none) its request's size. */
function decodedBytes(source: EncodedRequest | undefined): number {
  return source?.decodedBytes ?? source?.body?.length ?? 0;
}

/**
 * The trace as held now. Its spans are decoded from their packed form when first read, not
 * here: a `started` snapshot may wait behind thousands of writes (or be skipped), and the
 * packed spans it names are the ones the assembler holds anyway. The run-store exporter
 * reads them packed ({@link held}) and has its worker thread decode them. (A class, not a literal with
 * a getter, which V8 would keep as a dictionary: thousands of these may be queued.)
 */
class Snapshot implements AssembledTrace {
  readonly traceId: string;
  readonly logs: LogRecord[];
  readonly late: boolean;
  readonly truncated: TruncationCounts;
  #held: Pick<TraceState, 'traceId' | 'spans' | 'origins'> | null;
  readonly #count: number;
  #spans: Span[] | undefined;

  constructor(state: TraceState, readonly phase: TracePhase) {
    this.traceId = state.traceId;
    this.logs = [...state.logs];
    this.late = state.late;
    this.truncated = { ...state.truncated };
    this.#held = state;
    this.#count = state.spans.length;
  }

  get spans(): Span[] {
    if (!this.#spans) {
      this.#spans = unpackSpans(this.#held!, this.#count);
      this.#held = null;
    }
    return this.#spans;
  }

  held(): HeldSpans | null {
    return this.#held && { spans: this.#held.spans, count: this.#count, origins: this.#held.origins };
  }
}

function snapshot(state: TraceState, phase: TracePhase): AssembledTrace {
  return new Snapshot(state, phase);
}

function groupByTrace<T extends { traceId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.traceId);
    if (group) group.push(item);
    else groups.set(item.traceId, [item]);
  }
  return groups;
}
