/**
 * The parts of OTLP/JSON decoding shared by traces and logs: request parsing and signal
 * check, hex ids (either case, normalised to lower case), attributes and origins.
 */
import { InvalidInputError, describeError } from '../../lib/index.js';
import type { AnyValue, KeyValue, Origin, Resource } from '../../model/index.js';
import type { JsonObject } from './json-read.js';
import {
  arrayField, asObject, boolValue, bytesValue, doubleValue, field, int64Value, objectField, stringField, stringValue,
  uint32Field,
} from './json-read.js';
import type { IdLength } from './rejections.js';
import { wrongSignalError } from './types.js';
import type { Signal } from './types.js';

/** A field name in its lowerCamelCase and snake_case spellings. */
type Names = readonly [camel: string, snake: string];

/** The nesting of each signal's request: resource blocks → scope blocks → items. */
const SHAPES: Record<Signal, { blocks: Names; scopes: Names; items: Names }> = {
  traces: { blocks: ['resourceSpans', 'resource_spans'], scopes: ['scopeSpans', 'scope_spans'], items: ['spans', 'spans'] },
  logs: { blocks: ['resourceLogs', 'resource_logs'], scopes: ['scopeLogs', 'scope_logs'], items: ['logRecords', 'log_records'] },
};

function parseObject(body: Uint8Array): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new InvalidInputError(`the request body is not valid JSON: ${describeError(err)}`, { cause: err });
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonObject;
  const got = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
  throw new InvalidInputError(`an OTLP/JSON request must be a JSON object, got ${got}`);
}

/** Parses the body and returns the request's resource blocks, refusing the other signal's payload. */
export function parseRequest(body: Uint8Array, signal: Signal): unknown[] {
  const request = parseObject(body);
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

/** An AnyValue object (or null/absent → empty value). */
export function anyValueFrom(raw: unknown): AnyValue {
  if (raw === undefined || raw === null) return {};
  const v = asObject(raw, 'value');
  let x: unknown;
  if ((x = field(v, 'stringValue', 'string_value')) !== undefined) return { stringValue: stringValue(x, 'stringValue') };
  if ((x = field(v, 'intValue', 'int_value')) !== undefined) return { intValue: int64Value(x, 'intValue') };
  if ((x = field(v, 'boolValue', 'bool_value')) !== undefined) return { boolValue: boolValue(x, 'boolValue') };
  if ((x = field(v, 'doubleValue', 'double_value')) !== undefined) return { doubleValue: doubleValue(x, 'doubleValue') };
  if ((x = field(v, 'bytesValue', 'bytes_value')) !== undefined) return { bytesValue: bytesValue(x, 'bytesValue') };
  if ((x = field(v, 'arrayValue', 'array_value')) !== undefined) {
    return { arrayValue: { values: arrayField(asObject(x, 'arrayValue'), 'values').map(anyValueFrom) } };
  }
  if ((x = field(v, 'kvlistValue', 'kvlist_value')) !== undefined) {
    return { kvlistValue: { values: attributesFrom(asObject(x, 'kvlistValue'), 'values') } };
  }
  return {};
}

function keyValueFrom(raw: unknown): KeyValue {
  const kv = asObject(raw, 'attributes[]');
  return { key: stringField(kv, 'key'), value: anyValueFrom(field(kv, 'value')) };
}

/** The repeated KeyValue field `name` of `o`. */
export function attributesFrom(o: JsonObject, name = 'attributes'): KeyValue[] {
  return arrayField(o, name).map(keyValueFrom);
}

function resourceFrom(block: JsonObject): Resource {
  const r = objectField(block, 'resource');
  if (r === undefined) return { attributes: [], droppedAttributesCount: 0 };
  return { attributes: attributesFrom(r), droppedAttributesCount: uint32Field(r, 'droppedAttributesCount', 'dropped_attributes_count') };
}

function originFrom(resource: Resource, resourceSchemaUrl: string, scopeBlock: JsonObject): Origin {
  const s = objectField(scopeBlock, 'scope') ?? {};
  return {
    resource,
    resourceSchemaUrl,
    scope: {
      name: stringField(s, 'name'),
      version: stringField(s, 'version'),
      attributes: attributesFrom(s),
      droppedAttributesCount: uint32Field(s, 'droppedAttributesCount', 'dropped_attributes_count'),
    },
    scopeSchemaUrl: stringField(scopeBlock, 'schemaUrl', 'schema_url'),
  };
}

/**
 * Walks resource blocks → scope blocks → items, calling `each` with every item object, its
 * origin and its index in the request.
 */
export function forEachItem(
  blocks: unknown[], signal: Signal, each: (item: JsonObject, origin: Origin, index: number) => void,
): void {
  const shape = SHAPES[signal];
  let index = 0;
  for (const rawBlock of blocks) {
    const block = asObject(rawBlock, `${shape.blocks[0]}[]`);
    const resource = resourceFrom(block);
    const resourceSchemaUrl = stringField(block, 'schemaUrl', 'schema_url');
    for (const rawScope of arrayField(block, ...shape.scopes)) {
      const scopeBlock = asObject(rawScope, `${shape.scopes[0]}[]`);
      const origin = originFrom(resource, resourceSchemaUrl, scopeBlock);
      for (const item of arrayField(scopeBlock, ...shape.items)) each(asObject(item, `${shape.items[0]}[]`), origin, index++);
    }
  }
}
