/**
 * The parts of OTLP/JSON decoding shared by traces and logs: the request's shape and signal
 * check, and hex ids (either case, normalised to lower case).
 */
import { InvalidInputError } from '../../lib/index.js';
import type { JsonObject } from './json-read.js';
import { arrayField, field, stringField } from './json-read.js';
import type { IdLength } from './rejections.js';
import { wrongSignalError } from './types.js';
import type { Signal } from './types.js';

/** A field name in its lowerCamelCase and snake_case spellings. */
type Names = readonly [camel: string, snake: string];

/** The nesting of each signal's request: resource blocks → scope blocks → items. */
export const SHAPES: Record<Signal, { blocks: Names; scopes: Names; items: Names }> = {
  traces: { blocks: ['resourceSpans', 'resource_spans'], scopes: ['scopeSpans', 'scope_spans'], items: ['spans', 'spans'] },
  logs: { blocks: ['resourceLogs', 'resource_logs'], scopes: ['scopeLogs', 'scope_logs'], items: ['logRecords', 'log_records'] },
};

/**
 * The resource blocks of a parsed request, refusing anything but an object and the other
 * signal's (or metrics') payload.
 */
export function requestBlocks(parsed: unknown, signal: Signal): unknown[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new InvalidInputError(`an OTLP/JSON request must be a JSON object, got ${got}`);
  }
  const request = parsed as JsonObject;
  const blocks = arrayField(request, ...SHAPES[signal].blocks);
  if (blocks.length === 0) {
    const other: Signal = signal === 'traces' ? 'logs' : 'traces';
    const otherKeys = SHAPES[other].blocks;
    if (field(request, ...otherKeys) !== undefined) throw wrongSignalError(other, otherKeys[0]);
    if (field(request, 'resourceMetrics', 'resource_metrics') !== undefined) {
      throw new InvalidInputError('this is an OTLP metrics payload (resourceMetrics); paracle accepts traces and logs only');
    }
  }
  return blocks;
}

/** A hex id as read from JSON: lower-cased text, byte length (-1 if not hex) and zero-ness. */
export interface JsonId {
  hex: string;
  length: IdLength;
  zero: boolean;
}

/** An absent id. */
const NO_ID: JsonId = { hex: '', length: 0, zero: true };

/** Reads a hex id field; malformed text is reported through `length` = -1, not thrown. */
export function readId(o: JsonObject, camel: string, snake: string): JsonId {
  const hex = stringField(o, camel, snake);
  if (hex === '') return NO_ID;
  if (hex.length % 2 !== 0) return { hex, length: -1, zero: false };
  let zero = true;
  let upper = false;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (c >= 65 && c <= 70) upper = true;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return { hex, length: -1, zero: false };
    if (c !== 48) zero = false;
  }
  return { hex: upper ? hex.toLowerCase() : hex, length: hex.length / 2, zero };
}
