import type { LogRecord, Span, TracePhase } from '../../model/index.js';

/** Timing rules of assembly, from `assembly.*` config. */
export interface AssemblyTiming {
  graceMs: number;
  orphanTimeoutMs: number;
}

/** What the assembler holds for one trace that is not yet handed on as final. */
export interface TraceState {
  readonly traceId: string;
  readonly spans: Map<string, Span>;
  readonly logs: LogRecord[];
  /** Arrival time (daemon clock) of the latest span or record. */
  lastArrivalMs: number;
  /**
   * True once a span with no parent has arrived (or the trace was already final). A trace
   * with only log records so far waits like one whose root is missing.
   */
  rootArrived: boolean;
  /** Request bytes attributed to the spans held, for the memory bound. */
  bytes: number;
  /** The trace was handed on as final before: these spans are late additions. */
  readonly late: boolean;
}

/** Creates the state of a trace first seen at `nowMs`. */
export function newTraceState(traceId: string, nowMs: number, late: boolean): TraceState {
  return { traceId, spans: new Map(), logs: [], lastArrivalMs: nowMs, rootArrived: late, bytes: 0, late };
}

/**
 * Adds spans to a trace's state; a span already held (same span id) is kept as first seen.
 * Each new span is charged `bytesPerSpan`. Returns how many spans were new.
 */
export function addSpans(state: TraceState, spans: readonly Span[], nowMs: number, bytesPerSpan: number): number {
  let added = 0;
  for (const span of spans) {
    if (state.spans.has(span.spanId)) continue;
    state.spans.set(span.spanId, span);
    if (span.parentSpanId === '') state.rootArrived = true;
    added++;
  }
  if (added > 0) state.lastArrivalMs = nowMs;
  state.bytes += added * bytesPerSpan;
  return added;
}

/** Adds log records to a trace's state. Records carry no id, so one sent twice is held twice. */
export function addLogs(state: TraceState, logs: readonly LogRecord[], nowMs: number): void {
  state.logs.push(...logs);
  state.lastArrivalMs = nowMs;
}

/**
 * Decides whether a trace is ready to be handed on at `nowMs`: complete once its root has
 * arrived and no span came for `graceMs` (children exported in another batch still make it);
 * orphaned when no root came and the trace was idle for `orphanTimeoutMs`. Measuring from the
 * last arrival keeps long-running agents (children streaming in for minutes) from being cut.
 */
export function readyPhase(state: TraceState, nowMs: number, timing: AssemblyTiming): TracePhase | null {
  const idleMs = nowMs - state.lastArrivalMs;
  if (state.rootArrived) return idleMs >= timing.graceMs ? 'complete' : null;
  return idleMs >= timing.orphanTimeoutMs ? 'orphaned' : null;
}
