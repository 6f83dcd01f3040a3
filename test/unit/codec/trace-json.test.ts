import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces, encodeLogsJson, encodeTracesJson, writeTracesJson } from '../../../src/codec/otlp/index.js';
import type { Origin, Span } from '../../../src/model/index.js';
import { sdkLimitedSpan, sdkLogs, sdkSpans, serializeLogs, serializeSpans } from '../../fixtures/codec/sdk-telemetry.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function byStart(spans: Span[]): Span[] {
  return [...spans].sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
}

function origin(service: string, scope = 'lib'): Origin {
  return {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }], droppedAttributesCount: 0 },
    resourceSchemaUrl: '',
    scope: { name: scope, version: '1', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: '',
  };
}

function span(spanId: string, start: string, o: Origin): Span {
  return {
    traceId: TRACE_ID, spanId, parentSpanId: '', traceState: '', flags: 0, name: spanId, kind: 1,
    startTimeUnixNano: start, endTimeUnixNano: start, attributes: [], droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' }, origin: o,
  };
}

describe('encodeTracesJson (trace.json)', () => {
  it('round-trips real SDK spans through decodeTraces', () => {
    const spans = decodeTraces(serializeSpans([...sdkSpans(), sdkLimitedSpan()], 'protobuf'), 'protobuf').spans;
    const json = encodeTracesJson(spans);
    const back = decodeTraces(Buffer.from(json), 'json');
    expect(back.rejectedSpans).toBe(0);
    // Two resources: each block is in start order, blocks in order of their first span.
    expect(back.spans.map((s) => s.name)).toEqual(['invoke_agent coder', 'chat gpt-4', 'execute_tool shell', 'limited']);
    expect(byStart(back.spans)).toEqual(byStart(spans));
  });

  it('decodes a trace.json past the sliced parser\'s threshold at once (atOnce) to the same spans', () => {
    const o = origin('svc');
    const spans = Array.from({ length: 3_000 }, (_, i) => span((i + 1).toString(16).padStart(16, '0'), String(1_000_000 + i), o));
    const json = Buffer.from(encodeTracesJson(spans));
    expect(json.length).toBeGreaterThan(256 * 1024);
    const atOnce = decodeTraces(json, 'json', { atOnce: true });
    expect(atOnce.rejectedSpans).toBe(0);
    expect(atOnce.spans).toEqual(decodeTraces(json, 'json').spans);
    expect(atOnce.spans).toHaveLength(3_000);
  });

  it('writes an OTLP/JSON request with hex ids, string int64s and no default fields', () => {
    const spans = decodeTraces(serializeSpans(sdkSpans(), 'json'), 'json').spans;
    const request = JSON.parse(encodeTracesJson(spans)) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const root = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(root).toMatchObject({ name: 'invoke_agent coder', startTimeUnixNano: '1767695400000123456' });
    expect(root?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root).not.toHaveProperty('parentSpanId');
    expect(root).not.toHaveProperty('status');
    expect(root).not.toHaveProperty('droppedAttributesCount');
    expect(JSON.stringify(root)).toContain('"intValue":"1800"');
  });

  it('groups by resource and scope content, not object identity, and orders by start time', () => {
    const spans = [
      span('0000000000000003', '1000', origin('a')),
      span('0000000000000001', '999', origin('a')),
      span('0000000000000002', '999', origin('a', 'other-lib')),
      span('0000000000000004', '5', origin('b')),
    ];
    const request = JSON.parse(encodeTracesJson(spans)) as {
      resourceSpans: { resource: unknown; scopeSpans: { scope: { name: string }; spans: { spanId: string }[] }[] }[];
    };
    expect(request.resourceSpans.map((r) => r.scopeSpans.map((s) => [s.scope.name, s.spans.map((x) => x.spanId.slice(-1))]))).toEqual([
      [['lib', ['4']]],
      [['lib', ['1', '3']], ['other-lib', ['2']]],
    ]);
    expect(spans[0]?.spanId).toBe('0000000000000003');
    const back = decodeTraces(Buffer.from(encodeTracesJson(spans)), 'json').spans;
    expect(back.map((s) => s.spanId.slice(-1))).toEqual(['4', '1', '3', '2']);
    expect(back[1]?.origin).toBe(back[2]?.origin);
  });

  it('spells non-finite doubles as proto3 JSON does and reads them back', () => {
    const s = span('0000000000000001', '1', origin('a'));
    s.attributes = [{ key: 'n', value: { doubleValue: NaN } }, { key: 'i', value: { arrayValue: { values: [{ doubleValue: Infinity }] } } }];
    const json = encodeTracesJson([s]);
    expect(json).toContain('"doubleValue":"NaN"');
    expect(json).toContain('"doubleValue":"Infinity"');
    expect(decodeTraces(Buffer.from(json), 'json').spans).toEqual([s]);
  });

  it('writes an empty request for no spans', () => {
    expect(encodeTracesJson([])).toBe('{"resourceSpans":[]}');
    expect(Buffer.concat(writtenChunks([])).toString()).toBe('{"resourceSpans":[]}');
  });

  it('writes compact JSON item by item, schema urls after their items, the same bytes as text or in chunks', () => {
    const withUrls = (o: Origin, resourceSchemaUrl: string, scopeSchemaUrl: string): Origin => ({ ...o, resourceSchemaUrl, scopeSchemaUrl });
    const spans = [
      span('0000000000000001', '1', withUrls(origin('a'), 'https://r/1', 'https://s/1')),
      span('0000000000000002', '2', withUrls(origin('a', 'other'), 'https://r/1', '')),
      span('0000000000000003', '3', withUrls(origin('b'), '', 'https://s/\u00e9"')),
    ];
    spans[0]!.name = 'ünïcode 🤖 \ud800 "quoted"';
    const text = encodeTracesJson(spans);
    // What JSON.stringify makes of the whole request: compact, keys in the order written.
    expect(JSON.stringify(JSON.parse(text))).toBe(text);
    expect(text).toContain('"spans":[{"traceId"');
    expect(text).toContain('"endTimeUnixNano":"1"}],"schemaUrl":"https://s/1"},{"scope":{"name":"other","version":"1"},"spans":[');
    expect(text).toContain('"endTimeUnixNano":"2"}]}],"schemaUrl":"https://r/1"},{"resource"');
    expect(Buffer.concat(writtenChunks(spans))).toEqual(Buffer.from(text));
    expect(decodeTraces(Buffer.from(text), 'json').spans).toEqual(spans);
  });

  it('fills a buffer growing to about a megabyte with a large trace, chunk after chunk its UTF-8 text', () => {
    const o = origin('svc');
    const spans = Array.from({ length: 3_000 }, (_, i) => {
      const s = span((i + 1).toString(16).padStart(16, '0'), String(1_000_000 + i), o);
      s.attributes = [{ key: 'text', value: { stringValue: `é${'x'.repeat(1_000)}` } }];
      return s;
    });
    const chunks = writtenChunks(spans);
    // One buffer at a time, refilled: a new one only while it grows (16 KB doubled to 1 MB).
    const buffers = new Set<ArrayBufferLike>();
    writeTracesJson(spans, (chunk) => buffers.add(chunk.buffer));
    expect(buffers.size).toBeLessThanOrEqual(7);
    expect(chunks.length).toBeGreaterThan(8);
    expect(chunks[0]!.length).toBeLessThanOrEqual(16 * 1024);
    for (const chunk of chunks.slice(7, -1)) expect(chunk.length).toBeGreaterThan(1024 * 1024 - 4 * 1024);
    expect(Buffer.concat(chunks).equals(Buffer.from(encodeTracesJson(spans)))).toBe(true);
  });
});

/** What writeTracesJson hands its sink, each chunk copied (the buffer is reused). */
function writtenChunks(spans: Span[]): Buffer[] {
  const chunks: Buffer[] = [];
  writeTracesJson(spans, (chunk) => chunks.push(Buffer.from(chunk)));
  return chunks;
}

describe('encodeLogsJson', () => {
  it('round-trips real SDK log records through decodeLogs, oldest first', () => {
    const records = sdkLogs(TRACE_ID, '00f067aa0ba902b7');
    const logs = decodeLogs(serializeLogs([...records].reverse(), 'protobuf'), 'protobuf').logs;
    const json = encodeLogsJson(logs);
    expect(json.startsWith('{"resourceLogs":[')).toBe(true);
    const back = decodeLogs(Buffer.from(json), 'json').logs;
    expect(back).toEqual([...logs].reverse());
  });
});
