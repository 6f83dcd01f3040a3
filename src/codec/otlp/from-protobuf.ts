/**
 * Binary OTLP → the model. protobufjs decodes the request; each decoded message is then
 * converted straight into the model's JSON form (no toObject pass), validating ids as it goes.
 */
import type protobuf from 'protobufjs';
import { InvalidInputError, describeError } from '../../lib/index.js';
import type { AnyValue, KeyValue, LogRecord, Origin, Resource, Span, SpanEvent, SpanLink } from '../../model/index.js';
import { probeSignal } from './probe.js';
import { Rejections, idProblem, itemLabel } from './rejections.js';
import type { WireLong } from './scalars.js';
import { bytesToBase64, bytesToHex, isAllZero, signedToDecimal, toBuffer, unsignedToDecimal } from './scalars.js';
import { types } from './schema.js';
import { wrongSignalError } from './types.js';
import type { DecodedLogs, DecodedTraces } from './types.js';
import type {
  WireAnyValue, WireEvent, WireKeyValue, WireLink, WireLogRecord, WireLogsRequest, WireResource, WireScope, WireSpan,
  WireTraceRequest,
} from './wire.js';

function decodeRequest<T>(type: protobuf.Type, body: Uint8Array): T {
  try {
    return type.decode(toBuffer(body)) as unknown as T;
  } catch (err) {
    throw new InvalidInputError(`the request body is not a valid protobuf ${type.name}: ${describeError(err)}`, {
      cause: err,
    });
  }
}

function anyValueFrom(v: WireAnyValue | null): AnyValue {
  if (v === null) return {};
  // Set oneof members are own properties; unset ones only exist as prototype defaults.
  const keys = Object.keys(v);
  switch (keys[keys.length - 1]) {
    case 'stringValue': return { stringValue: v.stringValue as string };
    case 'boolValue': return { boolValue: v.boolValue as boolean };
    case 'intValue': return { intValue: signedToDecimal(v.intValue as WireLong) };
    case 'doubleValue': return { doubleValue: v.doubleValue as number };
    case 'bytesValue': return { bytesValue: bytesToBase64(v.bytesValue as Uint8Array) };
    case 'arrayValue': return { arrayValue: { values: (v.arrayValue?.values ?? []).map(anyValueFrom) } };
    case 'kvlistValue': return { kvlistValue: { values: attributesFrom(v.kvlistValue?.values ?? []) } };
    default: return {};
  }
}

function attributesFrom(kvs: WireKeyValue[]): KeyValue[] {
  const out: KeyValue[] = new Array<KeyValue>(kvs.length);
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i] as WireKeyValue;
    out[i] = { key: kv.key, value: anyValueFrom(kv.value) };
  }
  return out;
}

function resourceFrom(r: WireResource | null): Resource {
  if (r === null) return { attributes: [], droppedAttributesCount: 0 };
  return { attributes: attributesFrom(r.attributes), droppedAttributesCount: r.droppedAttributesCount };
}

function originFrom(resource: Resource, resourceSchemaUrl: string, s: WireScope | null, scopeSchemaUrl: string): Origin {
  const scope = s === null
    ? { name: '', version: '', attributes: [], droppedAttributesCount: 0 }
    : { name: s.name, version: s.version, attributes: attributesFrom(s.attributes), droppedAttributesCount: s.droppedAttributesCount };
  return { resource, resourceSchemaUrl, scope, scopeSchemaUrl };
}

function eventFrom(e: WireEvent): SpanEvent {
  return {
    timeUnixNano: unsignedToDecimal(e.timeUnixNano),
    name: e.name,
    attributes: attributesFrom(e.attributes),
    droppedAttributesCount: e.droppedAttributesCount,
  };
}

function linkFrom(l: WireLink): SpanLink {
  return {
    traceId: bytesToHex(l.traceId),
    spanId: bytesToHex(l.spanId),
    traceState: l.traceState,
    attributes: attributesFrom(l.attributes),
    droppedAttributesCount: l.droppedAttributesCount,
    flags: l.flags,
  };
}

/** Why the span's ids are unusable, or ''. */
function spanIdProblem(w: WireSpan): string {
  const { traceId, spanId, parentSpanId } = w;
  let problem = idProblem('trace_id', traceId.length, isAllZero(traceId), 16, false)
    || idProblem('span_id', spanId.length, isAllZero(spanId), 8, false)
    || idProblem('parent_span_id', parentSpanId.length, false, 8, true);
  for (let i = 0; problem === '' && i < w.links.length; i++) {
    const link = w.links[i] as WireLink;
    problem = idProblem('link trace_id', link.traceId.length, false, 16, false)
      || idProblem('link span_id', link.spanId.length, false, 8, false);
  }
  return problem;
}

function spanFrom(w: WireSpan, origin: Origin): Span {
  const status = w.status;
  const parent = w.parentSpanId;
  return {
    traceId: bytesToHex(w.traceId),
    spanId: bytesToHex(w.spanId),
    // An all-zero parent is how some encoders spell "no parent".
    parentSpanId: isAllZero(parent) ? '' : bytesToHex(parent),
    traceState: w.traceState,
    flags: w.flags,
    name: w.name,
    kind: w.kind,
    startTimeUnixNano: unsignedToDecimal(w.startTimeUnixNano),
    endTimeUnixNano: unsignedToDecimal(w.endTimeUnixNano),
    attributes: attributesFrom(w.attributes),
    droppedAttributesCount: w.droppedAttributesCount,
    events: w.events.map(eventFrom),
    droppedEventsCount: w.droppedEventsCount,
    links: w.links.map(linkFrom),
    droppedLinksCount: w.droppedLinksCount,
    status: status === null ? { code: 0, message: '' } : { code: status.code, message: status.message },
    origin,
  };
}

/** Decodes a binary ExportTraceServiceRequest; see `decodeTraces`. */
export function tracesFromProtobuf(body: Uint8Array): DecodedTraces {
  if (probeSignal(body) === 'logs') throw wrongSignalError('logs', 'ExportLogsServiceRequest');
  const request = decodeRequest<WireTraceRequest>(types.traceRequest, body);
  const spans: Span[] = [];
  const rejections = new Rejections('span');
  let index = 0;
  for (const rs of request.resourceSpans) {
    const resource = resourceFrom(rs.resource);
    for (const ss of rs.scopeSpans) {
      const origin = originFrom(resource, rs.schemaUrl, ss.scope, ss.schemaUrl);
      for (const w of ss.spans) {
        const problem = spanIdProblem(w);
        if (problem === '') spans.push(spanFrom(w, origin));
        else rejections.add(itemLabel(w.name, index), problem);
        index++;
      }
    }
  }
  return { spans, rejectedSpans: rejections.count, rejectionMessage: rejections.message() };
}

/** An optional id: '' when absent or all zero. */
function optionalId(bytes: Uint8Array): string {
  return isAllZero(bytes) ? '' : bytesToHex(bytes);
}

function logFrom(w: WireLogRecord, origin: Origin): LogRecord {
  return {
    timeUnixNano: unsignedToDecimal(w.timeUnixNano),
    observedTimeUnixNano: unsignedToDecimal(w.observedTimeUnixNano),
    severityNumber: w.severityNumber,
    severityText: w.severityText,
    body: anyValueFrom(w.body),
    attributes: attributesFrom(w.attributes),
    droppedAttributesCount: w.droppedAttributesCount,
    flags: w.flags,
    traceId: optionalId(w.traceId),
    spanId: optionalId(w.spanId),
    eventName: w.eventName,
    origin,
  };
}

/** Decodes a binary ExportLogsServiceRequest; see `decodeLogs`. */
export function logsFromProtobuf(body: Uint8Array): DecodedLogs {
  if (probeSignal(body) === 'traces') throw wrongSignalError('traces', 'ExportTraceServiceRequest');
  const request = decodeRequest<WireLogsRequest>(types.logsRequest, body);
  const logs: LogRecord[] = [];
  const rejections = new Rejections('log record');
  let index = 0;
  for (const rl of request.resourceLogs) {
    const resource = resourceFrom(rl.resource);
    for (const sl of rl.scopeLogs) {
      const origin = originFrom(resource, rl.schemaUrl, sl.scope, sl.schemaUrl);
      for (const w of sl.logRecords) {
        const problem = idProblem('trace_id', w.traceId.length, false, 16, true)
          || idProblem('span_id', w.spanId.length, false, 8, true);
        if (problem === '') logs.push(logFrom(w, origin));
        else rejections.add(itemLabel(w.eventName, index), problem);
        index++;
      }
    }
  }
  return { logs, rejectedLogRecords: rejections.count, rejectionMessage: rejections.message() };
}
