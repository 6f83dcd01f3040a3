import { addTruncations, replayParentSpanId, type LogRecord, type Origin, type Span, type TracePhase, type TruncationCounts } from '../../model/index.js';
import { keyOfPacked, packSpan, spanKey, unpackSpan } from '../../codec/otlp/index.js';

/** Timing rules of assembly, from `assembly.*` config. */
export interface AssemblyTiming {
  graceMs: number;
  orphanTimeoutMs: number;
}

/** What the assembler holds for one trace that is not yet handed on as final. */
export interface TraceState {
  readonly traceId: string;
  /**
   * The spans held, in arrival order: packed (see ./packed-span.ts), or as decoded when one
   * cannot be packed.
   */
  readonly spans: (string | Span)[];
  /**
   * The {@link spanKey}s of the spans held, once a trace holds enough spans that looking for
   * a span id along `spans` would be slow; null before.
   */
  spanKeys: Set<string> | null;
  /** The distinct origins of the spans held, which packed spans refer to by index. */
  readonly origins: Origin[];
  readonly logs: LogRecord[];
  /** Arrival time (daemon clock) of the latest span or record. */
  lastArrivalMs: number;
  /**
   * True once a span that starts the run has arrived: one with no parent, or a replayed
   * agent's top span (model/replay.ts), or the trace was already final. A trace with only
   * log records so far waits like one whose root is missing.
   */
  rootArrived: boolean;
  /** The trace's replay parent span id, computed on first need (a hash per trace, not per span). */
  replayParent: string | null;
  /** Request bytes attributed to the spans held, for the memory bound. */
  bytes: number;
  /** The trace was handed on as final before: these spans are late additions. */
  readonly late: boolean;
  /** Spans of the trace handed on as final before (late additions count on top of them). */
  readonly priorSpans: number;
  /** What ingest limits cut from the telemetry held. */
  readonly truncated: TruncationCounts;
}

/** Creates the state of a trace first seen at `nowMs`; `priorSpans` were handed on as final before (late). */
export function newTraceState(traceId: string, nowMs: number, late: boolean, priorSpans = 0): TraceState {
  return {
    traceId,
    spans: [],
    spanKeys: null,
    origins: [],
    logs: [],
    lastArrivalMs: nowMs,
    rootArrived: late,
    replayParent: null,
    bytes: 0,
    late,
    priorSpans,
    truncated: {},
  };
}

/** How many more spans the trace may take under `maxSpans` (spans_per_trace_limit). */
export function spanRoom(state: TraceState, maxSpans: number): number {
  return Math.max(0, maxSpans - state.priorSpans - state.spans.length);
}

/**
 * Adds spans to a trace's state; a span already held (same span id) is kept as first seen,
 * and spans past `maxSpans` are dropped and counted as cut by spans_per_trace. Each new span
 * is charged `bytesPerSpan`. Returns how many spans were new.
 */
export function addSpans(state: TraceState, spans: readonly Span[], nowMs: number, bytesPerSpan: number, maxSpans = Infinity): number {
  let added = 0;
  for (const span of spans) {
    const key = spanKey(span.spanId);
    if (holds(state, key)) continue;
    if (spanRoom(state, maxSpans) === 0) {
      state.truncated.spans_per_trace = (state.truncated.spans_per_trace ?? 0) + 1;
      continue;
    }
    addTruncations(state.truncated, span.truncated);
    state.spans.push(pack(state, span));
    state.spanKeys?.add(key);
    if (!state.spanKeys && state.spans.length >= INDEX_FROM) state.spanKeys = new Set(state.spans.map(keyOf));
    if (!state.rootArrived && startsRun(state, span)) state.rootArrived = true;
    added++;
  }
  if (added > 0) state.lastArrivalMs = nowMs;
  state.bytes += added * bytesPerSpan;
  return added;
}

/** Whether `span` starts its run (see model/replay.ts), with the trace's replay parent cached. */
function startsRun(state: TraceState, span: Span): boolean {
  if (span.parentSpanId === '') return true;
  state.replayParent ??= replayParentSpanId(state.traceId);
  return span.parentSpanId === state.replayParent;
}

/** Spans a trace holds before their ids are indexed (below, they are compared one by one). */
const INDEX_FROM = 16;

function keyOf(held: string | Span): string {
  return typeof held === 'string' ? keyOfPacked(held) : spanKey(held.spanId);
}

/** Whether the trace holds a span whose {@link spanKey} is `key`. */
function holds(state: TraceState, key: string): boolean {
  if (state.spanKeys) return state.spanKeys.has(key);
  for (const held of state.spans) {
    if (typeof held === 'string' ? held.startsWith(key) : spanKey(held.spanId) === key) return true;
  }
  return false;
}

/**
 * A span in the form it is held in. Spans of one scope block share their origin object and
 * arrive together, so comparing with the last origin added finds it; a trace fed by many
 * requests keeps one origin per request, as its decoded spans did.
 */
function pack(state: TraceState, span: Span): string | Span {
  const { origins } = state;
  let index = origins.length - 1;
  if (index < 0 || origins[index] !== span.origin) index = origins.push(span.origin) - 1;
  try {
    return packSpan(span, index);
  } catch {
    // A span the packer cannot take (none is known to exist) is held as decoded.
    return span;
  }
}

/**
 * The first `count` spans held for a trace, decoded, in arrival order. A trace's spans are
 * only ever added to while it is held, so a snapshot can name them by count and decode them
 * later (the origin list only grows too).
 */
export function unpackSpans(state: Pick<TraceState, 'traceId' | 'spans' | 'origins'>, count: number): Span[] {
  const spans = new Array<Span>(count);
  for (let i = 0; i < count; i++) {
    const held = state.spans[i] as string | Span;
    spans[i] = typeof held === 'string' ? unpackSpan(held, state.traceId, state.origins) : held;
  }
  return spans;
}

/** Adds log records to a trace's state. Records carry no id, so one sent twice is held twice. */
export function addLogs(state: TraceState, logs: readonly LogRecord[], nowMs: number): void {
  for (const log of logs) {
    state.logs.push(log);
    addTruncations(state.truncated, log.truncated);
  }
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
