import type { AnyValue, KeyValue } from './otlp.js';

/** A plain JavaScript view of an attribute value (what the mapping rules reason about). */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/** A scalar AnyValue as a plain value; undefined for arrays and key-value lists. */
function plainScalar(value: AnyValue): PlainValue | undefined {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('bytesValue' in value) return value.bytesValue;
  if ('arrayValue' in value || 'kvlistValue' in value) return undefined;
  return null;
}

/** A container still to fill: its source values and where each plain value goes. */
interface PlainJob {
  values: readonly AnyValue[];
  keys: readonly string[] | null;
  into: PlainValue[] | { [key: string]: PlainValue };
}

/** A new plain container for `value` (an array or key-value list), queued on `jobs` to be filled. */
function plainContainer(value: AnyValue, jobs: PlainJob[]): PlainValue {
  if ('arrayValue' in value) {
    const into: PlainValue[] = [];
    jobs.push({ values: value.arrayValue.values, keys: null, into });
    return into;
  }
  const kvs = (value as { kvlistValue: { values: KeyValue[] } }).kvlistValue.values;
  const into: { [key: string]: PlainValue } = {};
  jobs.push({ values: kvs.map((kv) => kv.value), keys: kvs.map((kv) => kv.key), into });
  return into;
}

/**
 * Converts an OTLP `AnyValue` to a plain value: ints become numbers, bytes stay base64
 * text, arrays and key-value lists become arrays and objects (later duplicate keys win); an
 * empty value is null. Iterative, so a value nested however deep cannot overflow the stack.
 */
export function plainValue(value: AnyValue): PlainValue {
  const scalar = plainScalar(value);
  if (scalar !== undefined) return scalar;
  const jobs: PlainJob[] = [];
  const root = plainContainer(value, jobs);
  for (let job = jobs.pop(); job !== undefined; job = jobs.pop()) {
    const { values, keys, into } = job;
    for (let i = 0; i < values.length; i++) {
      const item = values[i] as AnyValue;
      // An empty value is a scalar too (null): `??` would take it for a container.
      const scalar = plainScalar(item);
      const plain = scalar === undefined ? plainContainer(item, jobs) : scalar;
      if (keys === null) (into as PlainValue[]).push(plain);
      else setOwn(into as { [key: string]: PlainValue }, keys[i] as string, plain);
    }
  }
  return root;
}

/** `object[key] = value`, also for `__proto__`, which plain assignment would take as the prototype. */
function setOwn(object: { [key: string]: PlainValue }, key: string, value: PlainValue): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** Key-value list to a plain object (later duplicates win). */
export function plainObject(kvs: readonly KeyValue[]): { [key: string]: PlainValue } {
  return plainValue({ kvlistValue: { values: kvs as KeyValue[] } }) as { [key: string]: PlainValue };
}

/** Key-value list to a map of plain values, for repeated lookups. */
export function attributeMap(kvs: readonly KeyValue[]): Map<string, PlainValue> {
  const out = new Map<string, PlainValue>();
  for (const kv of kvs) out.set(kv.key, plainValue(kv.value));
  return out;
}

/** A scalar as an AnyValue; undefined for arrays and objects. */
function anyScalar(value: unknown): AnyValue | undefined {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'object') return undefined;
  return { stringValue: String(value) };
}

/** Nesting past which {@link anyValue} takes a value for one that contains itself. */
const MAX_BUILD_DEPTH = 10_000;

/**
 * The inverse of {@link plainValue} for building spans in code and tests. Iterative; a
 * value nested deeper than 10,000 levels (one that contains itself) is refused.
 */
export function anyValue(value: unknown): AnyValue {
  const scalar = anyScalar(value);
  if (scalar !== undefined) return scalar;
  const jobs: { source: unknown; into: AnyValue[] | KeyValue[]; depth: number }[] = [];
  const container = (source: unknown, depth: number): AnyValue => {
    if (depth > MAX_BUILD_DEPTH) throw new TypeError('anyValue: the value is nested too deep (does it contain itself?)');
    const into: AnyValue[] | KeyValue[] = [];
    jobs.push({ source, into, depth });
    return Array.isArray(source) ? { arrayValue: { values: into as AnyValue[] } } : { kvlistValue: { values: into as KeyValue[] } };
  };
  const root = container(value, 1);
  for (let job = jobs.pop(); job !== undefined; job = jobs.pop()) {
    const depth = job.depth + 1;
    if (Array.isArray(job.source)) {
      for (const item of job.source as unknown[]) (job.into as AnyValue[]).push(anyScalar(item) ?? container(item, depth));
    } else {
      for (const [key, item] of Object.entries(job.source as Record<string, unknown>)) {
        (job.into as KeyValue[]).push({ key, value: anyScalar(item) ?? container(item, depth) });
      }
    }
  }
  return root;
}
