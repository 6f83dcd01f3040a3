import { millisToNanos } from '../../src/lib/index.js';
import { anyValue, StatusCode } from '../../src/model/index.js';
import type {
  AssembledTrace,
  KeyValue,
  LogRecord,
  Origin,
  Span,
  SpanEvent,
  TracePhase,
} from '../../src/model/index.js';

/** Attributes as a plain object; values are encoded as the OTel SDK would (ints as intValue...). */
export type AttributeInit = Record<string, unknown>;

/** OTLP span kinds. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** A span event to attach; `atMs` is an offset from the builder's base time (default: the span's start). */
export interface EventInit {
  name: string;
  atMs?: number;
  attributes?: AttributeInit;
}

const STATUS = { unset: StatusCode.UNSET, ok: StatusCode.OK, error: StatusCode.ERROR } as const;

/** What to build a span from; every field has a sensible default. */
export interface SpanInit {
  /** A span of this builder, or the id of a parent that is not in the trace; default: a root. */
  parent?: Span | string;
  /** Offsets from the builder's base time in milliseconds; default start 0, end start + 1. */
  startMs?: number;
  endMs?: number;
  attributes?: AttributeInit;
  events?: EventInit[];
  status?: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  kind?: number;
  /** Resource attributes; default: the builder's. Spans given the same object share one origin. */
  resource?: AttributeInit;
  spanId?: string;
}

/** What to build a log record from. */
export interface LogInit {
  atMs?: number;
  body?: unknown;
  severityText?: string;
  severityNumber?: number;
  /** The span the record was emitted in; default: none. */
  span?: Span;
  attributes?: AttributeInit;
  eventName?: string;
}

/** Options of a {@link TraceBuilder}. */
export interface TraceBuilderOptions {
  traceId?: string;
  /** Epoch milliseconds that offsets count from; default 2026-01-06T10:30:00Z. */
  baseMs?: number;
  /** Default resource attributes; default `{ 'service.name': 'test-service' }`. */
  resource?: AttributeInit;
  /** Instrumentation scope name of every span; default `test-instrumentation`. */
  scope?: string;
}

/** The base time of builders: 2026-01-06T10:30:00.000Z. */
export const BASE_MS = Date.UTC(2026, 0, 6, 10, 30, 0);

/** The default trace id of builders. */
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Encodes a plain attribute object as OTLP key-values. */
export function keyValues(attributes: AttributeInit = {}): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** An `exception` event as the OTel SDK records it (`span.recordException`). */
export function exceptionEvent(message: string, options: { type?: string; atMs?: number } = {}): EventInit {
  const type = options.type ?? 'Error';
  return {
    name: 'exception',
    ...(options.atMs === undefined ? {} : { atMs: options.atMs }),
    attributes: { 'exception.type': type, 'exception.message': message, 'exception.stacktrace': `${type}: ${message}\n    at run (agent.js:1:1)` },
  };
}

/** A `paracle.artifact` event (CONVENTIONS.md §1) with UTF-8 content. */
export function artifactEvent(name: string, content: string, extra: AttributeInit = {}, atMs?: number): EventInit {
  return {
    name: 'paracle.artifact',
    ...(atMs === undefined ? {} : { atMs }),
    attributes: { 'artifact.name': name, 'artifact.content': content, ...extra },
  };
}

/**
 * Builds the spans and log records of one trace in the in-memory shape of src/model/otlp.ts,
 * with deterministic ids (`0000000000000001`, ...) and times given as millisecond offsets,
 * so fixtures read like the trace they describe.
 */
export class TraceBuilder {
  readonly traceId: string;
  readonly baseMs: number;
  readonly spans: Span[] = [];
  readonly logs: LogRecord[] = [];
  private readonly defaultResource: AttributeInit;
  private readonly scope: string;
  private readonly origins = new Map<AttributeInit, Origin>();
  private nextId = 1;

  constructor(options: TraceBuilderOptions = {}) {
    this.traceId = options.traceId ?? TRACE_ID;
    this.baseMs = options.baseMs ?? BASE_MS;
    this.defaultResource = options.resource ?? { 'service.name': 'test-service' };
    this.scope = options.scope ?? 'test-instrumentation';
  }

  /** Epoch milliseconds of an offset. */
  at(offsetMs: number): number {
    return this.baseMs + offsetMs;
  }

  /** Adds a span and returns it (to use as a parent). */
  span(name: string, init: SpanInit = {}): Span {
    const startMs = init.startMs ?? 0;
    const span: Span = {
      traceId: this.traceId,
      spanId: init.spanId ?? this.newSpanId(),
      parentSpanId: typeof init.parent === 'string' ? init.parent : (init.parent?.spanId ?? ''),
      traceState: '',
      flags: 1,
      name,
      kind: init.kind ?? SpanKind.INTERNAL,
      startTimeUnixNano: this.nanos(startMs),
      endTimeUnixNano: this.nanos(init.endMs ?? startMs + 1),
      attributes: keyValues(init.attributes),
      droppedAttributesCount: 0,
      events: (init.events ?? []).map((e) => this.event(e, startMs)),
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: STATUS[init.status ?? 'unset'], message: init.statusMessage ?? '' },
      origin: this.origin(init.resource ?? this.defaultResource),
    };
    this.spans.push(span);
    return span;
  }

  /** Adds a log record and returns it. */
  log(init: LogInit = {}): LogRecord {
    const record: LogRecord = {
      timeUnixNano: this.nanos(init.atMs ?? 0),
      observedTimeUnixNano: this.nanos(init.atMs ?? 0),
      severityNumber: init.severityNumber ?? 0,
      severityText: init.severityText ?? '',
      body: anyValue(init.body),
      attributes: keyValues(init.attributes),
      droppedAttributesCount: 0,
      flags: 0,
      traceId: this.traceId,
      spanId: init.span?.spanId ?? '',
      eventName: init.eventName ?? '',
      origin: this.origin(this.defaultResource),
    };
    this.logs.push(record);
    return record;
  }

  /** The trace as the assembler hands it on, with all spans and logs (or only `spans`). */
  trace(phase: TracePhase = 'complete', spans: Span[] = this.spans): AssembledTrace {
    return { traceId: this.traceId, phase, spans: [...spans], logs: [...this.logs], late: false };
  }

  private event(init: EventInit, spanStartMs: number): SpanEvent {
    return {
      timeUnixNano: this.nanos(init.atMs ?? spanStartMs),
      name: init.name,
      attributes: keyValues(init.attributes),
      droppedAttributesCount: 0,
    };
  }

  private origin(resource: AttributeInit): Origin {
    let origin = this.origins.get(resource);
    if (origin === undefined) {
      origin = {
        resource: { attributes: keyValues(resource), droppedAttributesCount: 0 },
        resourceSchemaUrl: '',
        scope: { name: this.scope, version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
        scopeSchemaUrl: '',
      };
      this.origins.set(resource, origin);
    }
    return origin;
  }

  private nanos(offsetMs: number): string {
    return millisToNanos(this.baseMs + offsetMs);
  }

  private newSpanId(): string {
    return (this.nextId++).toString(16).padStart(16, '0');
  }
}
