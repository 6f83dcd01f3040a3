import type { TruncationCounts } from './truncation.js';

/**
 * Telemetry data as the daemon holds it in memory: the OTLP/JSON shape (hex ids, 64-bit
 * integers as decimal strings, typed attribute values), so that `trace.json`, the WAL and
 * re-import all use one lossless form. Both wire decoders normalise into these types.
 */

/** An OTLP `AnyValue` in its canonical JSON form: exactly one key is set. */
export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;

/** One attribute. */
export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** The entity that produced the telemetry (`service.name` lives here). */
export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

/** The instrumentation library that produced a span or log record. */
export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

/** Where a span or log record came from; shared by every item of one scope block. */
export interface Origin {
  resource: Resource;
  resourceSchemaUrl: string;
  scope: InstrumentationScope;
  scopeSchemaUrl: string;
}

/** A timed event on a span (exceptions, `paracle.artifact`, custom events). */
export interface SpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

/** A link to a span of another (or the same) trace. */
export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
}

/** OTLP status codes. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** One span. Ids are lower-case hex; `parentSpanId` is '' for a trace root. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: { code: number; message: string };
  origin: Origin;
  /** What ingest limits cut from this span when it was decoded; absent when nothing. */
  truncated?: TruncationCounts;
}

/** One OTLP log record. Ids are lower-case hex, '' when absent. */
export interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: string;
  spanId: string;
  eventName: string;
  origin: Origin;
  /** What ingest limits cut from this record when it was decoded; absent when nothing. */
  truncated?: TruncationCounts;
}
