import { RetryableError } from '../../lib/index.js';
import type { AssembledTrace, Span, TracePhase } from '../../model/index.js';
import type { Component, EncodedRequest, SettledTraces, SpansConsumer, TraceConsumer } from '../../pipeline/index.js';
import type { Logger } from '../../telemetry/index.js';
import { MemoryBudget, type MemoryLimits } from './memory-budget.js';
import { RecentSet } from './recent-set.js';
import { addSpans, newTraceState, readyPhase, type AssemblyTiming, type TraceState } from './trace-state.js';

/** Options of the assembler, from `assembly.*` and `ingest.max_*_in_memory`. */
export interface AssemblerOptions extends AssemblyTiming, MemoryLimits {
  /** How many finished trace ids to remember for recognising late spans. */
  recentTraceCapacity?: number;
  /** How often the running component checks for ready traces. */
  tickMs?: number;
}

/** Seconds a sender is asked to wait when the daemon is stopping. */
const RETRY_AFTER_STOPPING_SECONDS = 5;

/**
 * Groups spans by trace id and hands each trace on when it is ready (root ended and quiet
 * for the grace period, or orphaned), plus a `started` snapshot when a trace is first seen
 * so its run directory appears as running. Time is a parameter of `tick`, so tests drive it.
 */
export class TraceAssembler implements SpansConsumer, SettledTraces, Component {
  private readonly traces = new Map<string, TraceState>();
  private readonly finished: RecentSet;
  private readonly budget: MemoryBudget;
  private readonly inHandoff = new Set<Promise<void>>();
  /** Hand-offs not yet stored, per trace. */
  private readonly handoffs = new Map<string, number>();
  /** Traces handed on unfinished by a shutdown: their data must survive in the WAL. */
  private readonly unfinished = new Set<string>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly next: TraceConsumer,
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

  /** Spans in memory: assembling plus handed on and not yet stored. */
  get spansInMemory(): number {
    return this.budget.spans;
  }

  /**
   * Takes a batch of spans, or rejects the whole batch with `RetryableError` when a memory
   * bound would be exceeded or the daemon is stopping: never accept-and-drop.
   */
  consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void> {
    if (this.stopping) {
      return Promise.reject(new RetryableError('unavailable', 'the daemon is shutting down', RETRY_AFTER_STOPPING_SECONDS));
    }
    const bytesPerSpan = spans.length > 0 ? (source?.body.length ?? 0) / spans.length : 0;
    const refusal = this.budget.refusal(spans.length, bytesPerSpan * spans.length);
    if (refusal) return Promise.reject(refusal);
    const nowMs = this.now();
    for (const [traceId, group] of groupByTrace(spans)) this.add(traceId, group, nowMs, bytesPerSpan);
    return Promise.resolve();
  }

  /** True when nothing of the trace is held, being written, or left unfinished by shutdown. */
  isSettled(traceId: string): boolean {
    return !this.traces.has(traceId) && !this.handoffs.has(traceId) && !this.unfinished.has(traceId);
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

  private add(traceId: string, spans: Span[], nowMs: number, bytesPerSpan: number): void {
    let state = this.traces.get(traceId);
    const isNew = state === undefined;
    if (!state) {
      state = newTraceState(traceId, nowMs, this.finished.has(traceId));
      this.traces.set(traceId, state);
    }
    const before = state.bytes;
    const added = addSpans(state, spans, nowMs, bytesPerSpan);
    this.budget.hold(added, state.bytes - before);
    if (isNew && !state.late) this.send(snapshot(state, 'started'), 0, 0);
  }

  private handOff(state: TraceState, phase: TracePhase): void {
    this.traces.delete(state.traceId);
    if (phase === 'complete' || phase === 'orphaned') this.finished.add(state.traceId);
    if (phase === 'interrupted') this.unfinished.add(state.traceId);
    // The trace's share of the budget is released once it is stored, not when handed on:
    // nothing is dropped while the disk is slow.
    this.send(snapshot(state, phase), state.spans.size, state.bytes);
  }

  private send(trace: AssembledTrace, spanCount: number, bytes: number): void {
    this.handoffs.set(trace.traceId, (this.handoffs.get(trace.traceId) ?? 0) + 1);
    const done = this.next
      .consumeTrace(trace)
      .catch((err: unknown) => {
        this.logger.error({ err, trace_id: trace.traceId, phase: trace.phase }, 'storing a trace failed');
      })
      .finally(() => {
        this.budget.release(spanCount, bytes);
        const left = (this.handoffs.get(trace.traceId) ?? 1) - 1;
        if (left > 0) this.handoffs.set(trace.traceId, left);
        else this.handoffs.delete(trace.traceId);
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
