/**
 * Typed reads of OTLP/JSON fields as the Collector accepts them: lowerCamelCase names with
 * the proto snake_case names as a fallback, null meaning "default", 64-bit integers as
 * strings or numbers, enums as integers or names. A value of the wrong type makes the whole
 * request undecodable (InvalidInputError), as it does for the Collector.
 */
import { InvalidInputError } from '../../lib/index.js';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

const UINT64_MAX = 18446744073709551615n;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;
const DECIMAL = /^-?[0-9]+$/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function invalid(name: string, want: string, value: unknown): InvalidInputError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeName(value);
  return new InvalidInputError(`OTLP/JSON field "${name}" must be ${want}, got ${shown}`);
}

/** The value of `camel` (or its `snake` spelling); undefined when absent or null. */
export function field(o: JsonObject, camel: string, snake?: string): unknown {
  const v = o[camel] ?? (snake === undefined ? undefined : o[snake]);
  return v === null ? undefined : v;
}

/** `value` as an object, or throws naming `name`. */
export function asObject(value: unknown, name: string): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  throw invalid(name, 'an object', value);
}

/** An optional object field. */
export function objectField(o: JsonObject, camel: string, snake?: string): JsonObject | undefined {
  const v = field(o, camel, snake);
  return v === undefined ? undefined : asObject(v, camel);
}

/** A repeated field: [] when absent. */
export function arrayField(o: JsonObject, camel: string, snake?: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  throw invalid(camel, 'an array', v);
}

/** A string field: '' when absent. */
export function stringField(o: JsonObject, camel: string, snake?: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  throw invalid(camel, 'a string', v);
}

/** A 32-bit unsigned integer (counts, flags): a number or a decimal string; 0 when absent. */
export function uint32Field(o: JsonObject, camel: string, snake?: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && v !== '' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw invalid(camel, 'an unsigned 32-bit integer', v);
}

/** An enum: its number, its name in `names`, or a numeric string; 0 when absent. */
export function enumField(o: JsonObject, camel: string, snake: string | undefined, names: Record<string, number>): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  // hasOwn: a name like "constructor" must not find Object.prototype members.
  if (typeof v === 'string' && Object.hasOwn(names, v)) return names[v] as number;
  const n = typeof v === 'string' && v !== '' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return n;
  throw invalid(camel, `an enum number or one of ${Object.keys(names).slice(0, 3).join(', ')}...`, v);
}

/**
 * True when `s` is a plain decimal integer of at most `maxDigits` digits without sign or
 * leading zeros: already canonical and certainly in range, so no BigInt is needed.
 */
function isCanonicalUnsigned(s: string, maxDigits: number): boolean {
  if (s.length === 0 || s.length > maxDigits || (s.charCodeAt(0) === 48 && s.length > 1)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A 64-bit integer given as text or number, as BigInt; null when it is not an integer. */
function toBigInt(v: unknown): bigint | null {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  // BigInt() alone would also take "0x1f" and "0b1"; JSON integers are decimal only.
  return typeof v === 'string' && DECIMAL.test(v) ? BigInt(v) : null;
}

/** A fixed64/uint64 (timestamps) as a canonical decimal string; '0' when absent. */
export function uint64Field(o: JsonObject, camel: string, snake?: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '0';
  if (typeof v === 'string' && isCanonicalUnsigned(v, 19)) return v;
  const n = toBigInt(v);
  if (n !== null && n >= 0n && n <= UINT64_MAX) return n.toString();
  throw invalid(camel, 'an unsigned 64-bit integer (a decimal string or a number)', v);
}

/** A signed int64 value (attribute ints) as a canonical decimal string. */
export function int64Value(v: unknown, name: string): string {
  if (typeof v === 'string' && isCanonicalUnsigned(v, 18)) return v;
  const n = toBigInt(v);
  if (n !== null && n >= INT64_MIN && n <= INT64_MAX) return n.toString();
  throw invalid(name, 'a 64-bit integer (a decimal string or a number)', v);
}

/** A double: a number, or one of the proto3 JSON strings "NaN", "Infinity", "-Infinity" or a numeric string. */
export function doubleValue(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw invalid(name, 'a number', v);
}

/** A bool field value. */
export function boolValue(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  throw invalid(name, 'a boolean', v);
}

/** A string field value. */
export function stringValue(v: unknown, name: string): string {
  if (typeof v === 'string') return v;
  throw invalid(name, 'a string', v);
}

/** base64 (standard or URL-safe, as proto3 JSON allows) normalised to padded standard base64. */
export function bytesValue(v: unknown, name: string): string {
  if (typeof v !== 'string') throw invalid(name, 'a base64 string', v);
  return v === '' ? '' : Buffer.from(v, 'base64').toString('base64');
}
