import { RetryableError } from '../../lib/index.js';
import type { AssembledTrace, LogRecord, Span, TracePhase } from '../../model/index.js';
import type { Component, LogsConsumer, SpansConsumer, TraceConsumer } from '../../pipeline/index.js';
import type { Logger } from '../../telemetry/index.js';
import { RecentSet } from './recent-set.js';
import { addLogs, addSpans, newTraceState, readyPhase, type AssemblyTiming, type TraceState } from './trace-state.js';

/** Options of the assembler, from `assembly.*` and `ingest.max_spans_in_memory`. */
export interface AssemblerOptions extends AssemblyTiming {
  /**
   * Spans and log records held in memory (assembling plus handed on but not yet stored)
   * before shedding load.
   */
  maxSpansInMemory: number;
  /** How many finished trace ids to remember for recognising late spans. */
  recentTraceCapacity?: number;
  /** How often the running component checks for ready traces. */
  tickMs?: number;
}

/** Seconds a sender is asked to wait when the daemon sheds load. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Groups spans and log records by trace id and hands each trace on when it is ready (root
 * ended and quiet for the grace period, or orphaned), plus a `started` snapshot when a
 * trace's first spans are seen so its run directory appears as running. Time is a parameter
 * of `tick`, so tests drive it.
 *
 * Log records join their trace whenever they come. A trace with records but no spans waits
 * like an orphan and never makes a run by itself: if no span comes by the orphan timeout (or
 * shutdown) its records are dropped with a warning. Records (and spans) for a trace already
 * handed on as final are handed on as a `late` snapshot of just the new items, after the
 * grace period. Records with no trace id are passed straight to `next.consumeLogs`.
 */
export class TraceAssembler implements SpansConsumer, LogsConsumer, Component {
  private readonly traces = new Map<string, TraceState>();
  private readonly finished: RecentSet;
  private readonly inHandoff = new Set<Promise<void>>();
  private heldItems = 0;
  private handedOffItems = 0;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly next: TraceConsumer & LogsConsumer,
    private readonly options: AssemblerOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.finished = new RecentSet(options.recentTraceCapacity ?? 100_000);
  }

  /** Number of traces being assembled. */
  get tracesInFlight(): number {
    return this.traces.size;
  }

  /** Spans and log records in memory: assembling plus handed on and not yet stored. */
  get spansInMemory(): number {
    return this.heldItems + this.handedOffItems;
  }

  /**
   * Takes a batch of spans, or rejects the whole batch with `RetryableError` when the memory
   * bound would be exceeded or the daemon is stopping: never accept-and-drop.
   */
  consumeSpans(spans: Span[]): Promise<void> {
    const refusal = this.refusal(spans.length);
    if (refusal) return Promise.reject(refusal);
    const nowMs = this.now();
    for (const [traceId, group] of groupByTrace(spans)) {
      const state = this.stateOf(traceId, nowMs);
      const hadSpans = state.spans.size > 0;
      this.heldItems += addSpans(state, group, nowMs);
      if (!hadSpans && state.spans.size > 0 && !state.late) this.send(snapshot(state, 'started'), 0);
    }
    return Promise.resolve();
  }

  /** Takes a batch of log records, refusing it as {@link consumeSpans} does. */
  consumeLogs(logs: LogRecord[]): Promise<void> {
    const refusal = this.refusal(logs.length);
    if (refusal) return Promise.reject(refusal);
    const nowMs = this.now();
    for (const [traceId, group] of groupByTrace(logs)) {
      if (traceId === '') {
        this.track(() => this.next.consumeLogs(group), group.length, { untraced_log_records: group.length });
        continue;
      }
      addLogs(this.stateOf(traceId, nowMs), group, nowMs);
      this.heldItems += group.length;
    }
    return Promise.resolve();
  }

  /** Hands on every trace that is ready at `nowMs`. */
  tick(nowMs: number = this.now()): void {
    for (const state of this.traces.values()) {
      const phase = readyPhase(state, nowMs, this.options);
      if (phase) this.handOff(state, phase);
    }
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

  /** Why a batch of `count` items cannot be taken now, or null. */
  private refusal(count: number): RetryableError | null {
    if (this.stopping) return new RetryableError('unavailable', 'the daemon is shutting down', RETRY_AFTER_SECONDS);
    const load = this.spansInMemory;
    // An empty daemon takes any batch, so a batch larger than the bound is not refused forever.
    if (load === 0 || load + count <= this.options.maxSpansInMemory) return null;
    return new RetryableError(
      'overloaded',
      `the daemon holds ${load} spans and log records in memory (limit ${this.options.maxSpansInMemory}); retry later`,
      RETRY_AFTER_SECONDS,
    );
  }

  private stateOf(traceId: string, nowMs: number): TraceState {
    let state = this.traces.get(traceId);
    if (!state) {
      state = newTraceState(traceId, nowMs, this.finished.has(traceId));
      this.traces.set(traceId, state);
    }
    return state;
  }

  private handOff(state: TraceState, phase: TracePhase): void {
    this.traces.delete(state.traceId);
    const count = state.spans.size + state.logs.length;
    this.heldItems -= count;
    if (state.spans.size === 0 && !state.late) {
      this.logger.warn({ trace_id: state.traceId, log_records: state.logs.length, phase }, 'dropped log records of a trace whose spans never came');
      return;
    }
    if (phase === 'complete' || phase === 'orphaned') this.finished.add(state.traceId);
    this.send(snapshot(state, phase), count);
  }

  private send(trace: AssembledTrace, itemCount: number): void {
    this.track(() => this.next.consumeTrace(trace), itemCount, { trace_id: trace.traceId, phase: trace.phase });
  }

  /** Runs a hand-off, keeping its items counted in memory until it settles. */
  private track(handOff: () => Promise<void>, itemCount: number, context: Record<string, unknown>): void {
    this.handedOffItems += itemCount;
    const done = handOff()
      .catch((err: unknown) => {
        this.logger.error({ err, ...context }, 'storing telemetry failed');
      })
      .finally(() => {
        this.handedOffItems -= itemCount;
        this.inHandoff.delete(done);
      });
    this.inHandoff.add(done);
  }
}

function snapshot(state: TraceState, phase: TracePhase): AssembledTrace {
  return { traceId: state.traceId, phase, spans: [...state.spans.values()], logs: [...state.logs], late: state.late };
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
