import { jsonNestsDeeper, slug } from '../lib/index.js';
import type { LogRecord, PlainValue } from '../model/index.js';
import type { Rule } from './fields.js';

/** Attributes of a span, event or resource as plain values. */
export type Attrs = ReadonlyMap<string, PlainValue>;

/** A string attribute; an empty string counts as absent (instrumentations set '' for "none"). */
export function textAt(attrs: Attrs, key: string): string | undefined {
  const value = attrs.get(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number, also from numeric text (some SDKs stringify counts). */
export function numberAt(attrs: Attrs, key: string): number | undefined {
  const value = attrs.get(key);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** A boolean, also from the text `true` / `false`. */
export function booleanAt(attrs: Attrs, key: string): boolean | undefined {
  const value = attrs.get(key);
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/** Content (input/output): any non-empty value, text or structured. */
export function contentAt(attrs: Attrs, key: string): PlainValue | undefined {
  const value = attrs.get(key);
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** True when some key starts with `prefix`. */
export function hasPrefix(attrs: Attrs, prefix: string): boolean {
  for (const key of attrs.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

/**
 * A list flattened into keys `{prefix}.{i}.{field}` (OpenLLMetry prompts, OpenInference
 * messages): one object per index, in index order, holding that index's fields, each field
 * name without the wrapper `strip` (OpenInference nests every field under `message.`).
 */
export function flattenedListAt(attrs: Attrs, prefix: string, strip = ''): PlainValue[] | undefined {
  const items = new Map<number, Record<string, PlainValue>>();
  const head = `${prefix}.`;
  for (const [key, value] of attrs) {
    if (!key.startsWith(head)) continue;
    const match = /^(\d+)\.(.+)$/.exec(key.slice(head.length));
    if (!match) continue;
    const index = Number(match[1]);
    const item = items.get(index) ?? {};
    const field = match[2] as string;
    item[strip !== '' && field.startsWith(strip) ? field.slice(strip.length) : field] = value;
    items.set(index, item);
  }
  if (items.size === 0) return undefined;
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

/** Rule: the string attribute `key`. */
export function textRule(key: string): Rule<string> {
  return (span) => textAt(span.attrs, key);
}

/** Rule: slug of the string attribute `key`; a slug that comes out empty does not answer. */
export function slugRule(key: string): Rule<string> {
  return (span) => {
    const value = textAt(span.attrs, key);
    return value === undefined ? undefined : slug(value) || undefined;
  };
}

/** Rule: the numeric attribute `key`. */
export function numberRule(key: string): Rule<number> {
  return (span) => numberAt(span.attrs, key);
}

/** Rule: the content attribute `key`. */
export function contentRule(key: string): Rule<PlainValue> {
  return (span) => contentAt(span.attrs, key);
}

/** Rule: the flattened list under `prefix`, field names without `strip`. */
export function flattenedListRule(prefix: string, strip = ''): Rule<PlainValue> {
  return (span) => flattenedListAt(span.attrs, prefix, strip);
}

/** Rule: `true` when the attribute `key` is present with a non-empty value. */
export function presenceRule(key: string): Rule<true> {
  return (span) => (contentAt(span.attrs, key) === undefined ? undefined : true);
}

/** A plain value as one line of text: strings as they are, anything else as JSON. */
export function plainText(value: PlainValue): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** How deep JSON text may nest to be parsed into a document: `ingest.limits.attribute_value_depth_limit`'s default. */
export const DOCUMENT_DEPTH_LIMIT = 64;

/**
 * The document written to input.json/output.json (CONVENTIONS.md §7): text that parses as
 * JSON becomes that JSON, other text `{"text": ...}`, structured values stay as they are,
 * and an absent value is null. JSON text nested deeper than `depthLimit` is kept as text.
 */
export function toDocument(value: PlainValue | undefined, depthLimit = DOCUMENT_DEPTH_LIMIT): unknown {
  if (value === undefined) return null;
  if (typeof value !== 'string') return value;
  if (jsonNestsDeeper(value, depthLimit)) return { text: value };
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return { text: value };
  }
}

/**
 * The JSON object an attribute holds (as text, or already structured), e.g.
 * `llm.invocation_parameters`, Langfuse's `usage_details` or OpenInference's `metadata`;
 * undefined when the attribute is absent or not an object.
 */
export function jsonObjectAt(attrs: Attrs, key: string): Record<string, unknown> | undefined {
  const raw = attrs.get(key);
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (!raw.trimStart().startsWith('{')) return undefined;
    if (jsonNestsDeeper(raw, DOCUMENT_DEPTH_LIMIT)) return undefined;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * A number inside an attribute holding a JSON object; undefined when the attribute is
 * absent, not an object, or the field is not a finite number.
 */
export function jsonNumberAt(attrs: Attrs, key: string, field: string): number | undefined {
  const n = jsonObjectAt(attrs, key)?.[field];
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Rule: the non-empty text `field` of the JSON object in attribute `key`. */
export function jsonTextRule(key: string, field: string): Rule<string> {
  return (span) => {
    const value = jsonObjectAt(span.attrs, key)?.[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}

/** Rule: the number `field` of the JSON object in attribute `key`. */
export function jsonNumberRule(key: string, field: string): Rule<number> {
  return (span) => jsonNumberAt(span.attrs, key, field);
}

/**
 * Rule: the value `table` gives the span's own string attribute `key`; a value not in the
 * table gives `otherwise` (undefined: let the next rule answer).
 */
export function tableRule<R>(key: string, table: ReadonlyMap<string, R>, otherwise?: R): Rule<R> {
  return (span) => {
    const value = textAt(span.own, key);
    return value === undefined ? undefined : (table.get(value) ?? otherwise);
  };
}

// A UUID (any version, with or without dashes) or a ULID: ids minted per object or per run.
const INSTANCE_ID = /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/i;

/**
 * True for an id minted per object instance or per run (a UUID or ULID): Microsoft Agent
 * Framework's and CrewAI's agent ids, LlamaIndex's `task_id`. Such an id names no agent
 * across runs, so identity rules skip it (CONVENTIONS.md §4).
 */
export function isInstanceId(value: string): boolean {
  return INSTANCE_ID.test(value.trim());
}

/** Rule: the string attribute `key`, unless it is a per-instance id ({@link isInstanceId}). */
export function stableIdRule(key: string): Rule<string> {
  return (span) => {
    const value = textAt(span.attrs, key);
    return value === undefined || isInstanceId(value) ? undefined : value;
  };
}

/** The event name of a log record: its OTLP `event_name`, else the older `event.name` attribute. */
export function logEventName(log: LogRecord): string {
  if (log.eventName !== '') return log.eventName;
  const attr = log.attributes.find((kv) => kv.key === 'event.name')?.value;
  return attr !== undefined && 'stringValue' in attr ? attr.stringValue : '';
}
