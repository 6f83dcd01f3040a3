import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CONTENT_TYPES, encodeLogs, encodeSpans, makeSdkSpans, withContext, type PayloadFormat } from '../helpers/otlp-payloads.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

const LIMIT = 256 * 1024;
let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon({ ingest: { max_body_bytes: LIMIT } });
});
afterAll(async () => {
  await d.stop();
});

async function post(body: Uint8Array | string, headers: Record<string, string>, path = '/v1/traces', method = 'POST') {
  const res = await fetch(`${d.otlpUrl}${path}`, { method, headers, body: method === 'GET' ? undefined : body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type'), bytes, text: Buffer.from(bytes).toString('utf8') };
}

/** Sends one good agent trace and waits until it is stored: the daemon still works. */
async function expectHealthyAndStoring(format: PayloadFormat): Promise<void> {
  const health = await fetch(`${d.httpUrl}/healthz`);
  expect(health.status).toBe(200);
  const spans = makeSdkSpans('invoke_agent after-bad-input', 1, { 'paracle.agent.id': 'survivor' });
  const traceId = spans[0]!.spanContext().traceId;
  const res = await post(encodeSpans(spans, format), { 'content-type': CONTENT_TYPES[format] });
  expect(res.status).toBe(200);
  await waitForRuns(d.runsDir, (runs) => runs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
}

describe('bad input to /v1/traces', () => {
  it('answers garbage protobuf with 400 and a protobuf google.rpc.Status', async () => {
    const res = await post(Buffer.from('not a protobuf at all \u00ff\u00fe'), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(res.contentType).toBe('application/x-protobuf');
    // google.rpc.Status: field 1 (code) varint 3 = INVALID_ARGUMENT, field 2 the message.
    expect([...res.bytes.slice(0, 2)]).toEqual([0x08, 3]);
    expect(res.text).toMatch(/protobuf/i);
    await expectHealthyAndStoring('protobuf');
  });

  it('answers malformed JSON with 400 and a JSON Status', async () => {
    const res = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.contentType).toBe('application/json');
    const status = JSON.parse(res.text) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/JSON/);
    await expectHealthyAndStoring('json');
  });

  it('answers text/plain with 415 naming the supported types', async () => {
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.text).toContain('application/x-protobuf');
    await expectHealthyAndStoring('json');
  });

  it('answers a gzip body that inflates past the limit with 413', async () => {
    const bomb = gzipSync(Buffer.alloc(LIMIT * 8, 0x20));
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.text).toContain(String(LIMIT));
    await expectHealthyAndStoring('protobuf');
  });

  it('accepts a gzip body within the limit', async () => {
    const spans = makeSdkSpans('invoke_agent zipped', 2, { 'paracle.agent.id': 'zipped' });
    const res = await post(gzipSync(encodeSpans(spans, 'protobuf')), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const traceId = spans[0]!.spanContext().traceId;
    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    expect(runs.find((r) => r.metadata.trace_id === traceId)?.metadata.span_count).toBe(3);
  });

  it.each<PayloadFormat>(['json', 'protobuf'])('answers a %s logs payload on the traces path with 400 saying so', async (format) => {
    const res = await post(encodeLogs(format), { 'content-type': CONTENT_TYPES[format] });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/logs/);
    expect(res.text).toMatch(/\/v1\/logs/);
    await expectHealthyAndStoring(format);
  });

  it.each<PayloadFormat>(['json', 'protobuf'])('rejects a %s span with a 3-byte trace id as partial success, keeping the rest', async (format) => {
    const [child, root] = makeSdkSpans('invoke_agent partly-bad', 1, { 'paracle.agent.id': 'partly-bad' });
    const bad = withContext(child!, { traceId: 'abcdef', spanId: child!.spanContext().spanId });
    const res = await post(encodeSpans([bad, root!], format), { 'content-type': CONTENT_TYPES[format] });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe(CONTENT_TYPES[format]);
    if (format === 'json') {
      const body = JSON.parse(res.text) as { partialSuccess: { rejectedSpans: string | number; errorMessage: string } };
      expect(Number(body.partialSuccess.rejectedSpans)).toBe(1);
      expect(body.partialSuccess.errorMessage).toMatch(/3 bytes/);
    } else {
      expect(res.text).toMatch(/3 bytes/);
    }
    const traceId = root!.spanContext().traceId;
    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    expect(runs.find((r) => r.metadata.trace_id === traceId)?.metadata.span_count).toBe(1);
  });

  it('answers other methods with 405 and other paths with 404', async () => {
    const get = await post('', {}, '/v1/traces', 'GET');
    expect(get.status).toBe(405);
    const other = await post('{}', { 'content-type': 'application/json' }, '/v2/traces');
    expect(other.status).toBe(404);
    await expectHealthyAndStoring('json');
  });

  it('stores a duplicated span once', async () => {
    const spans = makeSdkSpans('invoke_agent twice', 1, { 'paracle.agent.id': 'twice' });
    const body = encodeSpans(spans, 'protobuf');
    for (let i = 0; i < 2; i++) expect((await post(body, { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    const traceId = spans[0]!.spanContext().traceId;
    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const mine = runs.filter((r) => r.metadata.trace_id === traceId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.metadata.span_count).toBe(2);
  });
});
