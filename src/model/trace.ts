import type { LogRecord, Origin, Span } from './otlp.js';
import type { TruncationCounts } from './truncation.js';

/** Why the assembler handed a trace on. */
export type TracePhase =
  /** First spans of a trace were seen: the run directory should appear as `running`. */
  | 'started'
  /** Root ended and the grace period passed (or late spans after that): write it final. */
  | 'complete'
  /** The root never came within the orphan timeout: write it final, marked incomplete. */
  | 'orphaned'
  /** The daemon is stopping before the trace finished: write what is known, still running. */
  | 'interrupted';

/**
 * A snapshot of one trace's telemetry handed from the assembler downstream. `spans` holds
 * every span the assembler has for the trace (for a late batch: only the late ones; the
 * consumer merges them with what it stored before).
 */
export interface AssembledTrace {
  traceId: string;
  phase: TracePhase;
  spans: Span[];
  logs: LogRecord[];
  /** True when these spans arrived after the trace was already handed on as final. */
  late: boolean;
  /** What ingest limits cut from the telemetry of this snapshot; absent or empty when nothing. */
  truncated?: TruncationCounts;
  /**
   * The snapshot's spans in the compact form the assembler holds them in, when it does: a
   * consumer that hands them to another thread sends these and leaves `spans` unread (reading
   * it decodes every span). Null once `spans` was read.
   */
  held?(): HeldSpans | null;
}

/**
 * The first `count` of a trace's spans as held: packed strings (codec/otlp packed-span.ts),
 * or decoded where a span could not be packed; packed spans name their origin by its index
 * in `origins`.
 */
export interface HeldSpans {
  readonly spans: readonly (string | Span)[];
  readonly count: number;
  readonly origins: readonly Origin[];
}
