/**
 * Property tests of the OTLP decoders (fast-check, fixed seed): they agree with protobufjs
 * and with JSON.parse on every input generated, keep the limits, and answer any bytes at
 * all with spans or an InvalidInputError, never another error or a hang. `FUZZ_RUNS` raises
 * the number of runs (`npm run fuzz`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces, encodeLogsJson, encodeTracesJson } from '../../../src/codec/otlp/index.js';
import type { AttributeLimits } from '../../../src/codec/otlp/index.js';
import { DecodeMeter, TRUNCATION_MARKER } from '../../../src/codec/otlp/limits.js';
import { JsonParser, TOO_DEEP } from '../../../src/codec/otlp/json-parser.js';
import { InvalidInputError, ParacleError } from '../../../src/lib/index.js';
import type { AnyValue, KeyValue, Span } from '../../../src/model/index.js';
import { anyValue, depthOf, hexId, logRecord, span } from '../../helpers/otlp-arbitraries.js';
import { referenceLogs, referenceTraces } from '../../helpers/otlp-reference.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const params = { numRuns: RUNS, seed: SEED };
const UNLIMITED: AttributeLimits = { attributeCount: 1e9, attributeValueLength: null, attributeValueDepth: 256, eventCount: 1e9, linkCount: 1e9 };

/** What the decoders give back, without the origin objects' identity (non-finite numbers as text). */
function plain<T>(items: T[]): unknown[] {
  return JSON.parse(JSON.stringify(items, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))) as unknown[];
}

/** {@link plain}, in an order that does not depend on how the encoder grouped the items. */
function sorted<T>(items: T[]): string[] {
  return plain(items).map((item) => JSON.stringify(item)).sort();
}

/** Parses with the daemon's own parser (nested up to `maxDepth`), or throws its error. */
function ownParse(text: Buffer, maxDepth = 1e9): unknown {
  const parser = new JsonParser(text, maxDepth, new DecodeMeter(undefined));
  parser.step(Infinity);
  return parser.value;
}

/** The outcome of a parse: the value, or that it failed. */
function outcome(parse: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parse() };
  } catch {
    return { ok: false };
  }
}

/** Fails unless `decode` returns or throws one of the catalogue's errors. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    if (!(err instanceof ParacleError)) throw err;
    expect(err).toBeInstanceOf(InvalidInputError);
  }
}

describe('decoders against the reference implementations', () => {
  it('decode protobuf exactly as protobufjs encoded it, spans and log records', () => {
    fc.assert(fc.property(fc.array(span(), { maxLength: 4 }), (spans) => {
      const decoded = decodeTraces(referenceTraces(spans), 'protobuf', { limits: UNLIMITED });
      expect(plain(decoded.spans)).toEqual(plain(spans));
      expect(decoded.rejectedSpans).toBe(0);
    }), params);
    fc.assert(fc.property(fc.array(logRecord, { maxLength: 4 }), (logs) => {
      expect(plain(decodeLogs(referenceLogs(logs), 'protobuf', { limits: UNLIMITED }).logs)).toEqual(plain(logs));
    }), params);
  });

  it('decode what encodeTracesJson / encodeLogsJson wrote back to the same items', () => {
    fc.assert(fc.property(fc.array(span(), { maxLength: 4 }), (spans) => {
      const decoded = decodeTraces(Buffer.from(encodeTracesJson(spans)), 'json', { limits: UNLIMITED });
      expect(sorted(decoded.spans)).toEqual(sorted(spans));
    }), params);
    fc.assert(fc.property(fc.array(logRecord, { maxLength: 4 }), (logs) => {
      const decoded = decodeLogs(Buffer.from(encodeLogsJson(logs)), 'json', { limits: UNLIMITED });
      expect(sorted(decoded.logs)).toEqual(sorted(logs));
    }), params);
  });

  it('parse JSON as JSON.parse does, valid or not, and only as deep as asked', () => {
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 3 })).map(([json, at, insert, cut]) => {
      const i = at % (json.length + 1);
      return json.slice(0, i) + insert + json.slice(i + cut);
    });
    fc.assert(fc.property(fc.oneof(fc.json(), mutated, fc.string({ unit: 'binary' })), (text) => {
      const body = Buffer.from(text);
      expect(outcome(() => ownParse(body))).toEqual(outcome(() => JSON.parse(body.toString('utf8')) as unknown));
    }), params);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const body = Buffer.from(bytes);
      expect(outcome(() => ownParse(body))).toEqual(outcome(() => JSON.parse(body.toString('utf8')) as unknown));
    }), params);
    // Past its depth a container is checked but not built.
    expect(ownParse(Buffer.from('[[[1]],[2],3]'), 2)).toEqual([[TOO_DEEP], [2], 3]);
    expect(() => ownParse(Buffer.from('[[[1]],[2,3]'), 2)).toThrow(InvalidInputError);
  });
});

describe('decoders on any bytes', () => {
  const traceBody = fc.array(span(), { maxLength: 3 }).map((spans) => referenceTraces(spans));
  const corrupted = fc.tuple(traceBody, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat())
    .map(([body, flips, cut]) => {
      const bytes = Buffer.from(body);
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length - (cut % (bytes.length + 1)) / 2);
    });

  it('give spans or an InvalidInputError for random and corrupted protobuf', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), corrupted), (bytes) => {
      decodesOrRefuses(() => decodeTraces(bytes, 'protobuf'));
      decodesOrRefuses(() => decodeLogs(bytes, 'protobuf'));
    }), params);
  });

  it('give spans or an InvalidInputError for random and corrupted OTLP/JSON', () => {
    const json = fc.array(span(), { maxLength: 3 }).map((spans) => encodeTracesJson(spans));
    const broken = fc.tuple(json, fc.nat(), fc.string({ maxLength: 4 })).map(([text, at, insert]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + 1);
    });
    fc.assert(fc.property(fc.oneof(broken, fc.json()), (text) => {
      decodesOrRefuses(() => decodeTraces(Buffer.from(text), 'json'));
      decodesOrRefuses(() => decodeLogs(Buffer.from(text), 'json'));
    }), params);
  });
});

/** Checks one attribute list against the limits. */
function withinLimits(kvs: readonly KeyValue[], limits: AttributeLimits): void {
  expect(kvs.length).toBeLessThanOrEqual(limits.attributeCount);
  const values: AnyValue[] = kvs.map((kv) => kv.value);
  for (const value of values) expect(depthOf(value)).toBeLessThanOrEqual(limits.attributeValueDepth);
  const max = (limits.attributeValueLength ?? Infinity) + TRUNCATION_MARKER.length;
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    if ('stringValue' in v) expect(v.stringValue.length).toBeLessThanOrEqual(max);
    if ('arrayValue' in v) values.push(...v.arrayValue.values);
    if ('kvlistValue' in v) values.push(...v.kvlistValue.values.map((kv) => kv.value));
  }
}

describe('limits', () => {
  const limits = fc.record({
    attributeCount: fc.integer({ min: 1, max: 4 }),
    attributeValueLength: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 8 })),
    attributeValueDepth: fc.integer({ min: 1, max: 3 }),
    eventCount: fc.integer({ min: 1, max: 2 }),
    linkCount: fc.integer({ min: 1, max: 2 }),
  });

  it('are kept in both formats, and what was cut is counted per span and in total', () => {
    const spans = fc.uniqueArray(span(hexId(16), 8), { minLength: 1, maxLength: 3, selector: (s) => s.spanId });
    fc.assert(fc.property(spans, limits, fc.constantFrom('protobuf' as const, 'json' as const), (input, limit, format) => {
      const body = format === 'protobuf' ? referenceTraces(input) : Buffer.from(encodeTracesJson(input));
      const decoded = decodeTraces(body, format, { limits: limit });
      expect(decoded.spans).toHaveLength(input.length);
      const perSpan: Record<string, number> = {};
      for (const s of decoded.spans) {
        for (const owner of [s, ...s.events, ...s.links, s.origin.resource, s.origin.scope]) withinLimits(owner.attributes, limit);
        expect(s.events.length).toBeLessThanOrEqual(limit.eventCount);
        expect(s.links.length).toBeLessThanOrEqual(limit.linkCount);
        for (const [key, n] of Object.entries(s.truncated ?? {})) perSpan[key] = (perSpan[key] ?? 0) + n;
      }
      expect(perSpan).toEqual(decoded.truncated);
      // Attributes past the limit are added to the span's dropped count (a uint32).
      const byId = new Map(decoded.spans.map((s) => [s.spanId, s]));
      for (const s of input) {
        const cut = Math.max(0, s.attributes.length - limit.attributeCount);
        expect(byId.get(s.spanId)?.droppedAttributesCount).toBe(Math.min(0xffffffff, s.droppedAttributesCount + cut));
      }
    }), params);
  });

  it('leave an attribute value nested past the depth limit empty, however deep, in both formats', () => {
    fc.assert(fc.property(anyValue(6), fc.integer({ min: 1, max: 4 }), (value, depthLimit) => {
      const [base] = fc.sample(span(), { numRuns: 1, seed: 7 }) as [Span];
      const input: Span = { ...base, attributes: [{ key: 'deep', value }], events: [], links: [] };
      for (const format of ['protobuf', 'json'] as const) {
        const body = format === 'protobuf' ? referenceTraces([input]) : Buffer.from(encodeTracesJson([input]));
        const [decoded] = decodeTraces(body, format, { limits: { ...UNLIMITED, attributeValueDepth: depthLimit } }).spans as [Span];
        expect(depthOf(decoded.attributes[0]!.value)).toBeLessThanOrEqual(depthLimit);
        if (depthOf(value) > depthLimit) expect(decoded.truncated?.attribute_value_depth).toBeGreaterThan(0);
        else expect(plain(decoded.attributes)).toEqual(plain(input.attributes));
      }
    }), params);
  });
});

describe('inputs the fuzzer found', () => {
  it('refuses a protobuf body whose trailing varint is cut short, instead of looping', () => {
    // The signal probe used to read on from offset -1 after a cut varint and never stop.
    const body = Buffer.from('05800d00c1abbdbc', 'hex');
    expect(() => decodeTraces(body, 'protobuf')).toThrow(InvalidInputError);
    expect(() => decodeLogs(body, 'protobuf')).toThrow(InvalidInputError);
  });
});

describe('the JSON parser on huge nesting', () => {
  it('parses 1,000,000 levels without a stack, building only what the limits can use', () => {
    const depth = 1_000_000;
    const body = Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    let value = ownParse(body, 10);
    let levels = 0;
    while (Array.isArray(value) && value.length > 0) {
      levels++;
      value = value[0];
    }
    expect(levels).toBe(10);
    expect(value).toBe(TOO_DEEP);
  });
});

