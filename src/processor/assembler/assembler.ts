import { RetryableError } from '../../lib/index.js';
import type { AssembledTrace, Span, TracePhase } from '../../model/index.js';
import type { Component, SpansConsumer, TraceConsumer } from '../../pipeline/index.js';
import type { Logger } from '../../telemetry/index.js';
import { RecentSet } from './recent-set.js';
import { addSpans, newTraceState, readyPhase, type AssemblyTiming, type TraceState } from './trace-state.js';

/** Options of the assembler, from `assembly.*` and `ingest.max_spans_in_memory`. */
export interface AssemblerOptions extends AssemblyTiming {
  /** Spans held in memory (assembling plus handed on but not yet stored) before shedding load. */
  maxSpansInMemory: number;
  /** How many finished trace ids to remember for recognising late spans. */
  recentTraceCapacity?: number;
  /** How often the running component checks for ready traces. */
  tickMs?: number;
}

/** Seconds a sender is asked to wait when the daemon sheds load. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Groups spans by trace id and hands each trace on when it is ready (root ended and quiet
 * for the grace period, or orphaned), plus a `started` snapshot when a trace is first seen
 * so its run directory appears as running. Time is a parameter of `tick`, so tests drive it.
 */
export class TraceAssembler implements SpansConsumer, Component {
  private readonly traces = new Map<string, TraceState>();
  private readonly finished: RecentSet;
  private readonly inHandoff = new Set<Promise<void>>();
  private heldSpans = 0;
  private handedOffSpans = 0;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly next: TraceConsumer,
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

  /** Spans in memory: assembling plus handed on and not yet stored. */
  get spansInMemory(): number {
    return this.heldSpans + this.handedOffSpans;
  }

  /**
   * Takes a batch of spans, or rejects the whole batch with `RetryableError` when the memory
   * bound would be exceeded or the daemon is stopping: never accept-and-drop.
   */
  consumeSpans(spans: Span[]): Promise<void> {
    if (this.stopping) {
      return Promise.reject(new RetryableError('unavailable', 'the daemon is shutting down', RETRY_AFTER_SECONDS));
    }
    const load = this.spansInMemory;
    // An empty daemon takes any batch, so a batch larger than the bound is not refused forever.
    if (load > 0 && load + spans.length > this.options.maxSpansInMemory) {
      return Promise.reject(
        new RetryableError(
          'overloaded',
          `the daemon holds ${load} spans in memory (limit ${this.options.maxSpansInMemory}); retry later`,
          RETRY_AFTER_SECONDS,
        ),
      );
    }
    const nowMs = this.now();
    for (const [traceId, group] of groupByTrace(spans)) this.add(traceId, group, nowMs);
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

  private add(traceId: string, spans: Span[], nowMs: number): void {
    let state = this.traces.get(traceId);
    const isNew = state === undefined;
    if (!state) {
      state = newTraceState(traceId, nowMs, this.finished.has(traceId));
      this.traces.set(traceId, state);
    }
    this.heldSpans += addSpans(state, spans, nowMs);
    if (isNew && !state.late) this.send(snapshot(state, 'started'), 0);
  }

  private handOff(state: TraceState, phase: TracePhase): void {
    this.traces.delete(state.traceId);
    if (phase === 'complete' || phase === 'orphaned') this.finished.add(state.traceId);
    const count = state.spans.size;
    this.heldSpans -= count;
    this.send(snapshot(state, phase), count);
  }

  private send(trace: AssembledTrace, spanCount: number): void {
    this.handedOffSpans += spanCount;
    const done = this.next
      .consumeTrace(trace)
      .catch((err: unknown) => {
        this.logger.error({ err, trace_id: trace.traceId, phase: trace.phase }, 'storing a trace failed');
      })
      .finally(() => {
        this.handedOffSpans -= spanCount;
        this.inHandoff.delete(done);
      });
    this.inHandoff.add(done);
  }
}

function snapshot(state: TraceState, phase: TracePhase): AssembledTrace {
  return { traceId: state.traceId, phase, spans: [...state.spans.values()], logs: [...state.logs], late: state.late };
}

function groupByTrace(spans: readonly Span[]): Map<string, Span[]> {
  const groups = new Map<string, Span[]>();
  for (const span of spans) {
    const group = groups.get(span.traceId);
    if (group) group.push(span);
    else groups.set(span.traceId, [span]);
  }
  return groups;
}
