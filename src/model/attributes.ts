import type { AnyValue, KeyValue } from './otlp.js';

/** A plain JavaScript view of an attribute value (what the mapping rules reason about). */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/**
 * Converts an OTLP `AnyValue` to a plain value: ints become numbers, bytes stay base64
 * text, arrays and key-value lists become arrays and objects; an empty value is null.
 */
export function plainValue(value: AnyValue): PlainValue {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) return value.arrayValue.values.map(plainValue);
  if ('kvlistValue' in value) return plainObject(value.kvlistValue.values);
  if ('bytesValue' in value) return value.bytesValue;
  return null;
}

/** Key-value list to a plain object (later duplicates win). */
export function plainObject(kvs: readonly KeyValue[]): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const kv of kvs) out[kv.key] = plainValue(kv.value);
  return out;
}

/** Key-value list to a map of plain values, for repeated lookups. */
export function attributeMap(kvs: readonly KeyValue[]): Map<string, PlainValue> {
  const out = new Map<string, PlainValue>();
  for (const kv of kvs) out.set(kv.key, plainValue(kv.value));
  return out;
}

/** The inverse of {@link plainValue} for building spans in code and tests. */
export function anyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (typeof value === 'object') {
    return {
      kvlistValue: {
        values: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, value: anyValue(v) })),
      },
    };
  }
  return { stringValue: String(value) };
}
