/** OTLP/JSON Export requests → the model's spans and log records. */
import type { LogRecord, Origin, Span, SpanEvent, SpanLink } from '../../model/index.js';
import { anyValueFrom, attributesFrom, forEachItem, parseRequest, readId } from './json-common.js';
import type { JsonId } from './json-common.js';
import type { JsonObject } from './json-read.js';
import { arrayField, asObject, enumField, field, objectField, stringField, uint32Field, uint64Field } from './json-read.js';
import { Rejections, idProblem, itemLabel } from './rejections.js';
import { enumValues } from './schema.js';
import type { DecodedLogs, DecodedTraces } from './types.js';

function eventFrom(raw: unknown): SpanEvent {
  const e = asObject(raw, 'events[]');
  return {
    timeUnixNano: uint64Field(e, 'timeUnixNano', 'time_unix_nano'),
    name: stringField(e, 'name'),
    attributes: attributesFrom(e),
    droppedAttributesCount: uint32Field(e, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

/** A link and its ids, which decide whether the span is kept. */
interface ReadLink {
  link: SpanLink;
  traceId: JsonId;
  spanId: JsonId;
}

function linkFrom(raw: unknown): ReadLink {
  const l = asObject(raw, 'links[]');
  const traceId = readId(l, 'traceId', 'trace_id');
  const spanId = readId(l, 'spanId', 'span_id');
  const link: SpanLink = {
    traceId: traceId.hex,
    spanId: spanId.hex,
    traceState: stringField(l, 'traceState', 'trace_state'),
    attributes: attributesFrom(l),
    droppedAttributesCount: uint32Field(l, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: uint32Field(l, 'flags'),
  };
  return { link, traceId, spanId };
}

/** Why the span's ids are unusable, or ''. */
function spanIdProblem(traceId: JsonId, spanId: JsonId, parent: JsonId, links: ReadLink[]): string {
  let problem = idProblem('trace_id', traceId.length, traceId.zero, 16, false)
    || idProblem('span_id', spanId.length, spanId.zero, 8, false)
    || idProblem('parent_span_id', parent.length, false, 8, true);
  for (let i = 0; problem === '' && i < links.length; i++) {
    const { traceId: linkTrace, spanId: linkSpan } = links[i] as ReadLink;
    problem = idProblem('link trace_id', linkTrace.length, false, 16, false)
      || idProblem('link span_id', linkSpan.length, false, 8, false);
  }
  return problem;
}

/** The span, or the reason its ids make it unusable. */
function spanFrom(s: JsonObject, origin: Origin): Span | string {
  const traceId = readId(s, 'traceId', 'trace_id');
  const spanId = readId(s, 'spanId', 'span_id');
  const parent = readId(s, 'parentSpanId', 'parent_span_id');
  const links = arrayField(s, 'links').map(linkFrom);
  const problem = spanIdProblem(traceId, spanId, parent, links);
  if (problem !== '') return problem;
  const status = objectField(s, 'status') ?? {};
  return {
    traceId: traceId.hex,
    spanId: spanId.hex,
    // An all-zero parent is how some encoders spell "no parent".
    parentSpanId: parent.zero ? '' : parent.hex,
    traceState: stringField(s, 'traceState', 'trace_state'),
    flags: uint32Field(s, 'flags'),
    name: stringField(s, 'name'),
    kind: enumField(s, 'kind', undefined, enumValues.spanKind),
    startTimeUnixNano: uint64Field(s, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeUnixNano: uint64Field(s, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: attributesFrom(s),
    droppedAttributesCount: uint32Field(s, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: arrayField(s, 'events').map(eventFrom),
    droppedEventsCount: uint32Field(s, 'droppedEventsCount', 'dropped_events_count'),
    links: links.map((l) => l.link),
    droppedLinksCount: uint32Field(s, 'droppedLinksCount', 'dropped_links_count'),
    status: { code: enumField(status, 'code', undefined, enumValues.statusCode), message: stringField(status, 'message') },
    origin,
  };
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest; see `decodeTraces`. */
export function tracesFromJson(body: Uint8Array): DecodedTraces {
  const blocks = parseRequest(body, 'traces');
  const spans: Span[] = [];
  const rejections = new Rejections('span');
  forEachItem(blocks, 'traces', (item, origin, index) => {
    const span = spanFrom(item, origin);
    if (typeof span !== 'string') spans.push(span);
    else rejections.add(itemLabel(stringField(item, 'name'), index), span);
  });
  return { spans, rejectedSpans: rejections.count, rejectionMessage: rejections.message() };
}

/** The log record, or the reason its ids make it unusable. */
function logFrom(r: JsonObject, origin: Origin): LogRecord | string {
  const traceId = readId(r, 'traceId', 'trace_id');
  const spanId = readId(r, 'spanId', 'span_id');
  const problem = idProblem('trace_id', traceId.length, false, 16, true)
    || idProblem('span_id', spanId.length, false, 8, true);
  if (problem !== '') return problem;
  return {
    timeUnixNano: uint64Field(r, 'timeUnixNano', 'time_unix_nano'),
    observedTimeUnixNano: uint64Field(r, 'observedTimeUnixNano', 'observed_time_unix_nano'),
    severityNumber: enumField(r, 'severityNumber', 'severity_number', enumValues.severityNumber),
    severityText: stringField(r, 'severityText', 'severity_text'),
    body: anyValueFrom(field(r, 'body')),
    attributes: attributesFrom(r),
    droppedAttributesCount: uint32Field(r, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: uint32Field(r, 'flags'),
    traceId: traceId.zero ? '' : traceId.hex,
    spanId: spanId.zero ? '' : spanId.hex,
    eventName: stringField(r, 'eventName', 'event_name'),
    origin,
  };
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest; see `decodeLogs`. */
export function logsFromJson(body: Uint8Array): DecodedLogs {
  const blocks = parseRequest(body, 'logs');
  const logs: LogRecord[] = [];
  const rejections = new Rejections('log record');
  forEachItem(blocks, 'logs', (item, origin, index) => {
    const record = logFrom(item, origin);
    if (typeof record !== 'string') logs.push(record);
    else rejections.add(itemLabel(stringField(item, 'eventName', 'event_name'), index), record);
  });
  return { logs, rejectedLogRecords: rejections.count, rejectionMessage: rejections.message() };
}
