/**
 * fast-check generators of the model's telemetry, for property tests of the codec and the
 * assembler: every field of spans and log records, attribute values of every kind nested a
 * few levels, ids that are valid (the decoders keep them) and times anywhere in uint64.
 */
import fc from 'fast-check';
import type { AnyValue, KeyValue, LogRecord, Origin, Span, SpanEvent, SpanLink } from '../../src/model/index.js';

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** `bytes` random bytes as lower-case hex, not all zero. */
export function hexId(bytes: number): fc.Arbitrary<string> {
  return fc.uint8Array({ minLength: bytes, maxLength: bytes })
    .filter((b) => b.some((x) => x !== 0))
    .map((b) => Buffer.from(b).toString('hex'));
}

const time = fc.bigInt({ min: 0n, max: UINT64_MAX }).map(String);
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const uint32 = fc.nat({ max: 0xffffffff });

/** Attribute values nested up to `depth` levels of arrays and key-value lists. */
export function anyValue(depth = 3): fc.Arbitrary<AnyValue> {
  const { value } = fc.letrec<{ value: AnyValue; kv: KeyValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      text.map((s) => ({ stringValue: s })),
      fc.boolean().map((b) => ({ boolValue: b })),
      fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map((n) => ({ intValue: String(n) })),
      fc.double().filter((d) => !Object.is(d, -0)).map((d) => ({ doubleValue: d })),
      fc.uint8Array({ maxLength: 12 }).map((b) => ({ bytesValue: Buffer.from(b).toString('base64') })),
      fc.constant({}),
      fc.array(tie('value'), { maxLength: 4 }).map((values) => ({ arrayValue: { values } })),
      fc.array(tie('kv'), { maxLength: 4 }).map((values) => ({ kvlistValue: { values } })),
    ),
    kv: fc.record({ key: text, value: tie('value') }),
  }));
  return value;
}

/** Attribute lists. */
export function attributes(maxLength = 5, depth = 3): fc.Arbitrary<KeyValue[]> {
  return fc.array(fc.record({ key: text, value: anyValue(depth) }), { maxLength });
}

/** Origins (resource and scope). */
export const origin: fc.Arbitrary<Origin> = fc.record({
  resource: fc.record({ attributes: attributes(3), droppedAttributesCount: uint32 }),
  resourceSchemaUrl: text,
  scope: fc.record({ name: text, version: text, attributes: attributes(2), droppedAttributesCount: uint32 }),
  scopeSchemaUrl: text,
});

const event: fc.Arbitrary<SpanEvent> = fc.record({ timeUnixNano: time, name: text, attributes: attributes(3), droppedAttributesCount: uint32 });
const link: fc.Arbitrary<SpanLink> = fc.record({
  traceId: hexId(16), spanId: hexId(8), traceState: text, attributes: attributes(2), droppedAttributesCount: uint32, flags: uint32,
});

/** Spans with every field; `traceIds` draws their trace ids (a few, to make traces). */
export function span(traceIds: fc.Arbitrary<string> = hexId(16), maxAttributes = 6): fc.Arbitrary<Span> {
  return fc.record({
    traceId: traceIds,
    spanId: hexId(8),
    parentSpanId: fc.oneof(fc.constant(''), hexId(8)),
    traceState: text,
    flags: uint32,
    name: text,
    kind: fc.integer({ min: 0, max: 5 }),
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: attributes(maxAttributes),
    droppedAttributesCount: uint32,
    events: fc.array(event, { maxLength: 3 }),
    droppedEventsCount: uint32,
    links: fc.array(link, { maxLength: 2 }),
    droppedLinksCount: uint32,
    status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text }),
    origin,
  });
}

/** Log records with every field. */
export const logRecord: fc.Arbitrary<LogRecord> = fc.record({
  timeUnixNano: time,
  observedTimeUnixNano: time,
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: text,
  body: anyValue(3),
  attributes: attributes(4),
  droppedAttributesCount: uint32,
  flags: uint32,
  traceId: fc.oneof(fc.constant(''), hexId(16)),
  spanId: fc.oneof(fc.constant(''), hexId(8)),
  eventName: text,
  origin,
});

/** The deepest nesting of arrays and key-value lists in a value (a scalar is 0). */
export function depthOf(value: AnyValue): number {
  if ('arrayValue' in value) return 1 + Math.max(0, ...value.arrayValue.values.map(depthOf));
  if ('kvlistValue' in value) return 1 + Math.max(0, ...value.kvlistValue.values.map((kv) => depthOf(kv.value)));
  return 0;
}
