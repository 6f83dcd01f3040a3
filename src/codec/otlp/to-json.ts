/**
 * The model → OTLP/JSON Export requests (`trace.json`, re-export). Items are grouped into
 * resource and scope blocks by content, ordered by time, and written in proto3 JSON form:
 * lowerCamelCase, hex ids, 64-bit integers as strings, default values left out.
 */
import type { AnyValue, KeyValue, LogRecord, Origin, Span } from '../../model/index.js';
import { wholeSpan } from './packed-span.js';

type Json = Record<string, unknown>;

/** A scalar value as proto3 JSON (non-finite doubles as "NaN", "Infinity", "-Infinity"); undefined for containers. */
function scalarJson(v: AnyValue): unknown {
  if ('doubleValue' in v) return Number.isFinite(v.doubleValue) ? v : { doubleValue: String(v.doubleValue) };
  return 'arrayValue' in v || 'kvlistValue' in v ? undefined : v;
}

/** A container still to write: its values and where their JSON goes (with keys for a kvlist). */
interface ValuesJob {
  values: readonly AnyValue[];
  keys: readonly string[] | null;
  into: unknown[];
}

function containerJson(v: AnyValue, jobs: ValuesJob[]): unknown {
  const into: unknown[] = [];
  if ('arrayValue' in v) {
    jobs.push({ values: v.arrayValue.values, keys: null, into });
    return { arrayValue: { values: into } };
  }
  const kvs = (v as { kvlistValue: { values: KeyValue[] } }).kvlistValue.values;
  jobs.push({ values: kvs.map((kv) => kv.value), keys: kvs.map((kv) => kv.key), into });
  return { kvlistValue: { values: into } };
}

/** Writes every queued container, and the containers found in them; iterative, however deep they nest. */
function drain(jobs: ValuesJob[]): void {
  for (let job = jobs.pop(); job !== undefined; job = jobs.pop()) {
    const { values, keys, into } = job;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as AnyValue;
      const json = scalarJson(v) ?? containerJson(v, jobs);
      into.push(keys === null ? json : { key: keys[i], value: json });
    }
  }
}

/** Attributes as proto3 JSON. */
function attributesJson(kvs: readonly KeyValue[]): unknown[] {
  const out: unknown[] = [];
  const jobs: ValuesJob[] = [{ values: kvs.map((kv) => kv.value), keys: kvs.map((kv) => kv.key), into: out }];
  drain(jobs);
  return out;
}

/** One value as proto3 JSON. */
function valueJson(v: AnyValue): unknown {
  const jobs: ValuesJob[] = [];
  const root = scalarJson(v) ?? containerJson(v, jobs);
  drain(jobs);
  return root;
}

/** Adds the attribute list and dropped count of `from` to `to`, when not empty. */
function putAttributes(to: Json, from: { attributes: KeyValue[]; droppedAttributesCount: number }): Json {
  if (from.attributes.length > 0) to.attributes = attributesJson(from.attributes);
  if (from.droppedAttributesCount !== 0) to.droppedAttributesCount = from.droppedAttributesCount;
  return to;
}

/** Sets `to[key]` unless `value` is the proto3 default ('' or 0). */
function put(to: Json, key: string, value: string | number): void {
  if (value !== '' && value !== 0) to[key] = value;
}

function spanJson(span: Span): Json {
  // A packed view reads a field from its buffer each time one is asked for.
  const s = wholeSpan(span);
  const out: Json = { traceId: s.traceId, spanId: s.spanId };
  put(out, 'traceState', s.traceState);
  put(out, 'parentSpanId', s.parentSpanId);
  put(out, 'flags', s.flags);
  out.name = s.name;
  put(out, 'kind', s.kind);
  out.startTimeUnixNano = s.startTimeUnixNano;
  out.endTimeUnixNano = s.endTimeUnixNano;
  putAttributes(out, s);
  if (s.events.length > 0) {
    out.events = s.events.map((e) => putAttributes({ timeUnixNano: e.timeUnixNano, name: e.name }, e));
  }
  put(out, 'droppedEventsCount', s.droppedEventsCount);
  if (s.links.length > 0) {
    out.links = s.links.map((l) => {
      const link: Json = { traceId: l.traceId, spanId: l.spanId };
      put(link, 'traceState', l.traceState);
      putAttributes(link, l);
      put(link, 'flags', l.flags);
      return link;
    });
  }
  put(out, 'droppedLinksCount', s.droppedLinksCount);
  if (s.status.code !== 0 || s.status.message !== '') {
    const status: Json = {};
    put(status, 'message', s.status.message);
    put(status, 'code', s.status.code);
    out.status = status;
  }
  return out;
}

function logJson(r: LogRecord): Json {
  const out: Json = {};
  put(out, 'timeUnixNano', r.timeUnixNano === '0' ? '' : r.timeUnixNano);
  put(out, 'observedTimeUnixNano', r.observedTimeUnixNano === '0' ? '' : r.observedTimeUnixNano);
  put(out, 'severityNumber', r.severityNumber);
  put(out, 'severityText', r.severityText);
  if (Object.keys(r.body).length > 0) out.body = valueJson(r.body);
  putAttributes(out, r);
  put(out, 'flags', r.flags);
  put(out, 'traceId', r.traceId);
  put(out, 'spanId', r.spanId);
  put(out, 'eventName', r.eventName);
  return out;
}

/** Compares canonical unsigned decimal strings numerically. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface ScopeBlock<T> {
  scope: Json;
  schemaUrl: string;
  items: T[];
}

interface ResourceBlock<T> {
  resource: Json;
  schemaUrl: string;
  scopes: Map<string, ScopeBlock<T>>;
}

/**
 * Groups items (already in output order) into resource blocks and scope blocks of equal
 * content. Keys are computed once per distinct origin object: a request's items share one.
 */
function groupByOrigin<T extends { origin: Origin }>(items: readonly T[]): ResourceBlock<T>[] {
  const blocks = new Map<string, ResourceBlock<T>>();
  const keys = new Map<Origin, [string, string]>();
  for (const item of items) {
    const o = item.origin;
    let key = keys.get(o);
    if (key === undefined) {
      key = [JSON.stringify([o.resourceSchemaUrl, o.resource]), JSON.stringify([o.scopeSchemaUrl, o.scope])];
      keys.set(o, key);
    }
    let block = blocks.get(key[0]);
    if (block === undefined) {
      block = { resource: putAttributes({}, o.resource), schemaUrl: o.resourceSchemaUrl, scopes: new Map() };
      blocks.set(key[0], block);
    }
    let scope = block.scopes.get(key[1]);
    if (scope === undefined) {
      const scopeJson: Json = {};
      put(scopeJson, 'name', o.scope.name);
      put(scopeJson, 'version', o.scope.version);
      scope = { scope: putAttributes(scopeJson, o.scope), schemaUrl: o.scopeSchemaUrl, items: [] };
      block.scopes.set(key[1], scope);
    }
    scope.items.push(item);
  }
  return [...blocks.values()];
}

/** `,"schemaUrl":…` when the url is not empty (proto3 JSON leaves the default out). */
function schemaUrlJson(url: string): string {
  return url === '' ? '' : `,"schemaUrl":${JSON.stringify(url)}`;
}

/**
 * Writes grouped blocks under the signal's field names to `out`, one item at a time: the
 * text is what `JSON.stringify` makes of the whole request, but no JSON object of more than
 * one item is ever built, so a trace of 200,000 spans costs its output and not a copy of
 * itself as JSON objects besides.
 */
function writeRequest<T>(blocks: ResourceBlock<T>[], names: readonly [string, string, string], toJson: (item: T) => Json, out: (text: string) => void): void {
  const [resourceKey, scopeKey, itemKey] = names;
  out(`{${JSON.stringify(resourceKey)}:[`);
  blocks.forEach((b, i) => {
    out(`${i === 0 ? '' : ','}{"resource":${JSON.stringify(b.resource)},${JSON.stringify(scopeKey)}:[`);
    let first = true;
    for (const s of b.scopes.values()) {
      out(`${first ? '' : ','}{"scope":${JSON.stringify(s.scope)},${JSON.stringify(itemKey)}:[`);
      first = false;
      s.items.forEach((item, j) => out((j === 0 ? '' : ',') + JSON.stringify(toJson(item))));
      out(`]${schemaUrlJson(s.schemaUrl)}}`);
    }
    out(`]${schemaUrlJson(b.schemaUrl)}}`);
  });
  out(']}');
}

/** The request as one string. */
function requestText<T>(blocks: ResourceBlock<T>[], names: readonly [string, string, string], toJson: (item: T) => Json): string {
  const parts: string[] = [];
  writeRequest(blocks, names, toJson, (text) => parts.push(text));
  return parts.join('');
}

/**
 * The spans in `trace.json` order: start time, stable for ties. Each start is read once (a
 * span left packed unpacks to be read).
 */
function spansInOrder(spans: readonly Span[]): Span[] {
  const keyed = spans.map((span) => ({ span, start: span.startTimeUnixNano }));
  keyed.sort((a, b) => compareDecimal(a.start, b.start));
  return keyed.map((k) => k.span);
}

const TRACE_NAMES = ['resourceSpans', 'scopeSpans', 'spans'] as const;

/**
 * The spans as one compact OTLP/JSON ExportTraceServiceRequest (`{"resourceSpans":[...]}`),
 * the format of `trace.json`: grouped by equal resource (+ schema url) and scope (+ schema
 * url) compared by content, spans in start-time order within each scope block (stable for
 * ties), blocks in the order of their earliest span. Decoding the result with
 * `decodeTraces(…, 'json')` gives back equal spans, in that document order.
 */
export function encodeTracesJson(spans: readonly Span[]): string {
  return requestText(groupByOrigin(spansInOrder(spans)), TRACE_NAMES, spanJson);
}

/** Size of the buffer {@link writeTracesJson} fills first, and the most it grows to. */
const FIRST_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * {@link encodeTracesJson} as UTF-8 bytes handed to `sink` a chunk at a time, written span by
 * span into one buffer that is reused once `sink` returns (so `sink` must be done with a
 * chunk by then, e.g. a synchronous file write). The buffer starts small and doubles up to a
 * megabyte as it fills: a small trace takes one small buffer, and a large one is never held
 * whole, as text or as bytes (41 MB for a root with 200,000 children).
 */
export function writeTracesJson(spans: readonly Span[], sink: (chunk: Uint8Array) => void): void {
  let chunk = Buffer.allocUnsafe(FIRST_CHUNK_BYTES);
  let at = 0;
  writeRequest(groupByOrigin(spansInOrder(spans)), TRACE_NAMES, spanJson, (text) => {
    if (at + text.length * 3 > chunk.length) {
      if (at > 0) sink(chunk.subarray(0, at));
      at = 0;
      const size = Math.max(Math.min(chunk.length * 2, MAX_CHUNK_BYTES), text.length * 3);
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
    }
    at += chunk.write(text, at, 'utf8');
  });
  if (at > 0) sink(chunk.subarray(0, at));
}

/** A log record's time for ordering: its event time, else the time it was observed. */
function logTime(r: LogRecord): string {
  return r.timeUnixNano === '0' ? r.observedTimeUnixNano : r.timeUnixNano;
}

/**
 * The log records as one compact OTLP/JSON ExportLogsServiceRequest (`{"resourceLogs":[...]}`),
 * ordered by time (event time, else observed time), grouped like {@link encodeTracesJson}.
 */
export function encodeLogsJson(logs: readonly LogRecord[]): string {
  const ordered = [...logs].sort((a, b) => compareDecimal(logTime(a), logTime(b)));
  return requestText(groupByOrigin(ordered), ['resourceLogs', 'scopeLogs', 'logRecords'], logJson);
}
