import type { AssembledTrace, LogRecord, Span } from '../model/index.js';

/**
 * The stage contracts (the Collector's consumer interfaces). A stage is handed its next
 * stage when it is built. Once a `consume*` promise resolves, the batch belongs to the
 * callee; a rejection with `RetryableError` means "not taken, try later" and the caller
 * must not assume any of the batch was kept.
 */
export interface SpansConsumer {
  consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void>;
}

/**
 * The request the items were decoded from, when a receiver has it: the write-ahead log stores
 * the (decompressed) bytes as they came instead of encoding the items again, and the
 * assembler counts the items' decoded size against its memory bound.
 */
export interface EncodedRequest {
  format: 'protobuf' | 'json';
  /** The whole request; absent when the items are not all of it (some were filtered out). */
  body?: Uint8Array;
  /** Estimated heap bytes of the decoded items (the codec's count). */
  decodedBytes?: number;
  /** Memory of the {@link MemoryGate} reserved for the items while they were decoded. */
  reservation?: Reservation;
}

/**
 * Bytes reserved from the {@link MemoryGate} for a batch: the stage that keeps the items
 * takes them over (`take` returns them once, then 0); whoever reserved gives back the rest.
 */
export interface Reservation {
  /** The bytes still reserved (0 once taken). */
  readonly bytes: number;
  take(): number;
}

/**
 * The ingest memory bound (`ingest.max_bytes_in_memory`, in decoded bytes), which receivers
 * reserve from while they decode, so that no request decodes past what the pipeline holds.
 */
export interface MemoryGate {
  /** What one request may decode to at most. */
  readonly maxBytes: number;
  /** Takes `bytes` more; false when what is held leaves no room now. */
  tryReserve(bytes: number): boolean;
  /** Gives back bytes taken by {@link tryReserve} and not handed on. */
  release(bytes: number): void;
}

/**
 * How many more spans each trace may take (`ingest.limits.spans_per_trace_limit`), asked
 * before a batch is accepted so that the spans past it are refused in the answer.
 */
export interface SpanQuota {
  /** The spans of `spans` their traces still have room for, in order, and how many were refused. */
  admit(spans: readonly Span[]): { admitted: Span[]; refused: number; message: string };
}

/**
 * Tells whether everything received for a trace so far has been stored as final: not being
 * assembled, not being written, and not left unfinished by a shutdown. The write-ahead log
 * deletes a segment once every trace in it is settled.
 */
export interface SettledTraces {
  isSettled(traceId: string): boolean;
}

/**
 * Rewrites a batch in place before anything keeps it (the redaction stage), and says which
 * request bytes now stand for it: `source` itself when nothing changed, a new encoding when
 * something did, undefined when there were none. The write-ahead log's replay runs what it
 * reads back through it too.
 */
export interface BatchTransform {
  transformSpans(spans: Span[], source?: EncodedRequest): EncodedRequest | undefined;
  transformLogs(logs: LogRecord[], source?: EncodedRequest): EncodedRequest | undefined;
}

/**
 * Makes what a stage stored so far durable: once `syncStored` resolves, every file it wrote
 * before the call survives a power loss. The write-ahead log awaits it before deleting a
 * segment whose traces are settled.
 */
export interface StoredSync {
  syncStored(): Promise<void>;
}

/** Receives decoded log records. */
export interface LogsConsumer {
  consumeLogs(logs: LogRecord[], source?: EncodedRequest): Promise<void>;
}

/** Receives assembled traces (assembler → exporter). Resolves when the trace is stored. */
export interface TraceConsumer {
  consumeTrace(trace: AssembledTrace): Promise<void>;
}

/**
 * Lifecycle of every long-lived component: `start()` returns once the component serves;
 * `shutdown()` drains what it holds, is idempotent and safe to call before `start()`.
 */
export interface Component {
  start(): Promise<void>;
  shutdown(): Promise<void>;
}
