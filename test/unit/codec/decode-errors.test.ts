import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, STORED_LIMITS, decodeLogs, decodeTraces } from '../../../src/codec/otlp/index.js';
import { validateConfig } from '../../../src/config/index.js';
import { otlpRoot } from '../../../src/codec/otlp/index.js';
import { InvalidInputError } from '../../../src/lib/index.js';
import { jsonBody, sdkLogs, sdkSpans, serializeLogs, serializeSpans, withIds, withLogTraceId } from '../../fixtures/codec/sdk-telemetry.js';
import type { ForcedIds } from '../../fixtures/codec/sdk-telemetry.js';

const FORMATS = ['protobuf', 'json'] as const;
const spans = sdkSpans();
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** The SDK spans with the "chat gpt-4" one given other ids. */
function payloadWith(ids: ForcedIds, format: 'protobuf' | 'json'): Uint8Array {
  return serializeSpans(spans.map((s) => (s.name === 'chat gpt-4' ? withIds(s, ids) : s)), format);
}

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('undecodable bodies', () => {
  it('refuses garbage and truncated protobuf', () => {
    const garbage = Buffer.from('this is certainly not protobuf \xff\xff\xff');
    expect(errorOf(() => decodeTraces(garbage, 'protobuf')).message).toMatch(/^the request body is not a valid protobuf ExportTraceServiceRequest: /);
    const good = serializeSpans(spans, 'protobuf');
    expect(errorOf(() => decodeTraces(good.subarray(0, good.length - 7), 'protobuf')).message).toMatch(/not a valid protobuf/);
    const logs = serializeLogs(sdkLogs(TRACE_ID, SPAN_ID), 'protobuf');
    expect(errorOf(() => decodeLogs(logs.subarray(0, logs.length - 3), 'protobuf')).message).toMatch(/ExportLogsServiceRequest/);
  });

  it('refuses malformed and non-object JSON', () => {
    expect(errorOf(() => decodeTraces(Buffer.from('{"resourceSpans":['), 'json')).message).toMatch(/^the request body is not valid JSON: /);
    expect(errorOf(() => decodeTraces(Buffer.from(''), 'json')).message).toMatch(/not valid JSON/);
    for (const body of ['[]', '"spans"', 'null', '42']) {
      expect(errorOf(() => decodeTraces(Buffer.from(body), 'json')).message).toMatch(/^an OTLP\/JSON request must be a JSON object, got /);
    }
    expect(errorOf(() => decodeLogs(Buffer.from('[1]'), 'json')).message).toBe('an OTLP/JSON request must be a JSON object, got an array');
  });

  it('cuts nothing a raised ingest.limits let through when no limits are given (stored bytes read back)', () => {
    const attributes = Array.from({ length: 5_000 }, (_, i) => `{"key":"a${i}","value":{"intValue":"${i}"}}`);
    const deep = '{"arrayValue":{"values":['.repeat(STORED_LIMITS.attributeValueDepth) + ']}}'.repeat(STORED_LIMITS.attributeValueDepth);
    const body = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",`
      + `"attributes":[{"key":"deep","value":${deep}},${attributes.join(',')}]}]}]}]}`);
    const decoded = decodeTraces(body, 'json');
    expect(decoded.truncated).toEqual({});
    expect(decoded.spans[0]!.attributes).toHaveLength(5_001);
    // The deepest value the config lets through is the deepest a stored one can be.
    expect(() => validateConfig({ ingest: { limits: { attribute_value_depth_limit: STORED_LIMITS.attributeValueDepth } } }, null)).not.toThrow();
    expect(() => validateConfig({ ingest: { limits: { attribute_value_depth_limit: STORED_LIMITS.attributeValueDepth + 1 } } }, null)).toThrow();
  });

  it('empties attribute values nested past the depth limit, however deep, and counts the cut', () => {
    const depth = 200_000;
    const nested = '{"arrayValue":{"values":['.repeat(depth) + ']}}'.repeat(depth);
    const body = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",`
      + `"attributes":[{"key":"k","value":${nested}}]}]}]}]}`);
    const decoded = decodeTraces(body, 'json', { limits: DEFAULT_LIMITS });
    expect(decoded.truncated).toEqual({ attribute_value_depth: 1 });
    let value = decoded.spans[0]!.attributes[0]!.value;
    let levels = 0;
    while ('arrayValue' in value) {
      levels++;
      value = value.arrayValue.values[0]!;
    }
    expect(levels).toBe(64);
    expect(value).toEqual({});
    expect(decoded.spans[0]!.truncated).toEqual({ attribute_value_depth: 1 });
  });

  it('takes an empty protobuf body as an empty request', () => {
    const empty = { truncated: {}, decodedBytes: 0, reservedBytes: 0 };
    expect(decodeTraces(new Uint8Array(0), 'protobuf')).toEqual({ spans: [], rejectedSpans: 0, rejectionMessage: '', ...empty });
    expect(decodeLogs(new Uint8Array(0), 'protobuf')).toEqual({ logs: [], rejectedLogRecords: 0, rejectionMessage: '', ...empty });
  });
});

describe('payloads of the other signal', () => {
  const logsPayload = { protobuf: serializeLogs(sdkLogs(TRACE_ID, SPAN_ID), 'protobuf'), json: serializeLogs(sdkLogs(TRACE_ID, SPAN_ID), 'json') };

  it('refuses a logs payload sent as traces', () => {
    expect(errorOf(() => decodeTraces(logsPayload.json, 'json')).message).toBe('this is an OTLP logs payload (resourceLogs); send it to /v1/logs');
    expect(errorOf(() => decodeTraces(logsPayload.protobuf, 'protobuf')).message).toBe(
      'this is an OTLP logs payload (ExportLogsServiceRequest); send it to /v1/logs',
    );
  });

  it('refuses a traces payload sent as logs', () => {
    expect(errorOf(() => decodeLogs(serializeSpans(spans, 'json'), 'json')).message).toBe(
      'this is an OTLP traces payload (resourceSpans); send it to /v1/traces',
    );
    expect(errorOf(() => decodeLogs(serializeSpans(spans, 'protobuf'), 'protobuf')).message).toBe(
      'this is an OTLP traces payload (ExportTraceServiceRequest); send it to /v1/traces',
    );
  });

  it('recognises log records whose time fields were left out as zero', () => {
    const type = otlpRoot.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const body = type.encode(type.fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 'INFO', body: { stringValue: 'x' }, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] }] }],
    })).finish();
    expect(errorOf(() => decodeTraces(body, 'protobuf')).message).toMatch(/OTLP logs payload/);
    expect(decodeLogs(body, 'protobuf').logs[0]?.body).toEqual({ stringValue: 'x' });
  });

  it('refuses a metrics payload with its own message', () => {
    expect(errorOf(() => decodeTraces(jsonBody({ resourceMetrics: [] }), 'json')).message).toMatch(/metrics payload/);
  });
});

describe('spans with unusable ids', () => {
  it.each(FORMATS)('rejects a 3-byte trace id and keeps the other spans (%s)', (format) => {
    const result = decodeTraces(payloadWith({ traceId: 'abcdef' }, format), format);
    expect(result.spans.map((s) => s.name).sort()).toEqual(['execute_tool shell', 'invoke_agent coder']);
    expect(result.rejectedSpans).toBe(1);
    expect(result.rejectionMessage).toBe('1 span rejected: span "chat gpt-4" has a trace_id of 3 bytes, want 16');
  });

  it.each(FORMATS)('rejects all-zero ids and odd parents (%s)', (format) => {
    expect(decodeTraces(payloadWith({ traceId: '0'.repeat(32) }, format), format).rejectionMessage).toBe(
      '1 span rejected: span "chat gpt-4" has an all-zero trace_id',
    );
    expect(decodeTraces(payloadWith({ spanId: '0'.repeat(16) }, format), format).rejectionMessage).toBe(
      '1 span rejected: span "chat gpt-4" has an all-zero span_id',
    );
    expect(decodeTraces(payloadWith({ spanId: 'abcd' }, format), format).rejectionMessage).toBe(
      '1 span rejected: span "chat gpt-4" has a span_id of 2 bytes, want 8',
    );
    expect(decodeTraces(payloadWith({ parentSpanId: 'aabbcc' }, format), format).rejectionMessage).toBe(
      '1 span rejected: span "chat gpt-4" has a parent_span_id of 3 bytes, want 8 or none',
    );
  });

  it.each(FORMATS)('takes an all-zero parent span id as "no parent" (%s)', (format) => {
    const result = decodeTraces(payloadWith({ parentSpanId: '0'.repeat(16) }, format), format);
    expect(result.rejectedSpans).toBe(0);
    expect(result.spans.find((s) => s.name === 'chat gpt-4')?.parentSpanId).toBe('');
  });

  it('counts every rejected span and names the first', () => {
    const body = serializeSpans(spans.map((s) => withIds(s, { traceId: 'abcdef' })), 'protobuf');
    const result = decodeTraces(body, 'protobuf');
    expect(result.spans).toEqual([]);
    expect(result.rejectedSpans).toBe(3);
    expect(result.rejectionMessage).toMatch(/^3 spans rejected: span "[^"]+" has a trace_id of 3 bytes, want 16$/);
  });

  it('rejects JSON ids that are not hex, naming the likely base64 mistake', () => {
    const base64Id = Buffer.from(TRACE_ID, 'hex').toString('base64');
    const result = decodeTraces(jsonBody({ resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: base64Id, spanId: SPAN_ID, name: 'b64' },
      { traceId: TRACE_ID, spanId: 'zz'.repeat(8) },
    ] }] }] }), 'json');
    expect(result.rejectedSpans).toBe(2);
    expect(result.rejectionMessage).toBe('2 spans rejected: span "b64" has a trace_id that is not hex (OTLP/JSON ids are hex, not base64)');
  });

  it('rejects a span with a malformed link and names unnamed spans by position', () => {
    const result = decodeTraces(jsonBody({ resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: TRACE_ID, spanId: SPAN_ID, name: 'ok' },
      { traceId: TRACE_ID, spanId: SPAN_ID, links: [{ traceId: 'ab', spanId: SPAN_ID }] },
    ] }] }] }), 'json');
    expect(result.spans.map((s) => s.name)).toEqual(['ok']);
    expect(result.rejectionMessage).toBe('1 span rejected: span #2 has a link trace_id of 1 bytes, want 16');
  });
});

describe('log records with unusable ids', () => {
  it.each(FORMATS)('rejects a 3-byte trace id but accepts records without trace context (%s)', (format) => {
    const [first, second] = sdkLogs(TRACE_ID, SPAN_ID);
    if (!first || !second) throw new Error('expected two records');
    const result = decodeLogs(serializeLogs([withLogTraceId(first, 'abcdef'), second], format), format);
    expect(result.logs.map((r) => r.eventName)).toEqual(['agent.failure']);
    expect(result.rejectedLogRecords).toBe(1);
    expect(result.rejectionMessage).toBe('1 log record rejected: log record #1 has a trace_id of 3 bytes, want 16 or none');
  });

  it('treats all-zero log ids as absent', () => {
    const result = decodeLogs(jsonBody({ resourceLogs: [{ scopeLogs: [{ logRecords: [
      { traceId: '0'.repeat(32), spanId: '0'.repeat(16), body: { stringValue: 'x' } },
    ] }] }] }), 'json');
    expect(result.logs[0]).toMatchObject({ traceId: '', spanId: '' });
  });
});
