/**
 * An independent protobuf encoder of the model, for tests of the daemon's own decoder:
 * protobufjs encodes (it is the reference the decoder must agree with), and this file only
 * turns the model's JSON form (hex ids, decimal 64-bit integers, base64 bytes) back into
 * what protobufjs takes. Recursive on purpose: it only ever sees small generated values.
 */
import Long from 'long';
import type protobuf from 'protobufjs';
import { types } from '../../src/codec/otlp/schema.js';
import type { AnyValue, KeyValue, LogRecord, Origin, Span } from '../../src/model/index.js';

type Obj = Record<string, unknown>;

const long = (decimal: string, unsigned: boolean): protobuf.Long => Long.fromString(decimal, unsigned);
const hex = (text: string): Buffer => Buffer.from(text, 'hex');

function value(v: AnyValue): Obj {
  if ('stringValue' in v) return { stringValue: v.stringValue };
  if ('boolValue' in v) return { boolValue: v.boolValue };
  if ('intValue' in v) return { intValue: long(v.intValue, false) };
  if ('doubleValue' in v) return { doubleValue: v.doubleValue };
  if ('bytesValue' in v) return { bytesValue: Buffer.from(v.bytesValue, 'base64') };
  if ('arrayValue' in v) return { arrayValue: { values: v.arrayValue.values.map(value) } };
  if ('kvlistValue' in v) return { kvlistValue: { values: attributes(v.kvlistValue.values) } };
  return {};
}

function attributes(kvs: readonly KeyValue[]): Obj[] {
  return kvs.map((kv) => ({ key: kv.key, value: value(kv.value) }));
}

function spanObject(s: Span): Obj {
  return {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    traceState: s.traceState,
    parentSpanId: hex(s.parentSpanId),
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: long(s.startTimeUnixNano, true),
    endTimeUnixNano: long(s.endTimeUnixNano, true),
    attributes: attributes(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeUnixNano: long(e.timeUnixNano, true), name: e.name, attributes: attributes(e.attributes), droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({
      traceId: hex(l.traceId), spanId: hex(l.spanId), traceState: l.traceState, attributes: attributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount, flags: l.flags,
    })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: s.status.code, message: s.status.message },
  };
}

function logObject(r: LogRecord): Obj {
  return {
    timeUnixNano: long(r.timeUnixNano, true),
    observedTimeUnixNano: long(r.observedTimeUnixNano, true),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: value(r.body),
    attributes: attributes(r.attributes),
    droppedAttributesCount: r.droppedAttributesCount,
    flags: r.flags,
    traceId: hex(r.traceId),
    spanId: hex(r.spanId),
    eventName: r.eventName,
  };
}

function originBlocks<T extends { origin: Origin }>(items: readonly T[], item: (t: T) => Obj, scopeKey: string, itemKey: string): Obj[] {
  return items.map((t) => ({
    resource: { attributes: attributes(t.origin.resource.attributes), droppedAttributesCount: t.origin.resource.droppedAttributesCount },
    schemaUrl: t.origin.resourceSchemaUrl,
    [scopeKey]: [{
      scope: { name: t.origin.scope.name, version: t.origin.scope.version, attributes: attributes(t.origin.scope.attributes), droppedAttributesCount: t.origin.scope.droppedAttributesCount },
      schemaUrl: t.origin.scopeSchemaUrl,
      [itemKey]: [item(t)],
    }],
  }));
}

/** An ExportTraceServiceRequest holding `spans`, each in a resource block of its own origin. */
export function referenceTraces(spans: readonly Span[]): Uint8Array {
  const message = { resourceSpans: originBlocks(spans, spanObject, 'scopeSpans', 'spans') };
  return types.traceRequest.encode(types.traceRequest.fromObject(message)).finish();
}

/** An ExportLogsServiceRequest holding `logs`, each in a resource block of its own origin. */
export function referenceLogs(logs: readonly LogRecord[]): Uint8Array {
  const message = { resourceLogs: originBlocks(logs, logObject, 'scopeLogs', 'logRecords') };
  return types.logsRequest.encode(types.logsRequest.fromObject(message)).finish();
}
