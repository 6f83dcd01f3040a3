import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/ui/index.js';
import { emitAgentRun } from '../helpers/agent-traffic.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTracing } from '../helpers/otel.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

let d: TestDaemon;
let coder = '';
let failed = '';

/** GET (or `method`) with headers, returning status, headers and the raw body bytes. */
function fetchRaw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${d.httpUrl}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${d.httpUrl}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  d = await startTestDaemon();
  const tracing = startTracing('http-json', d.otlpUrl, { serviceName: 'ui-api' });
  const traces = [
    await emitAgentRun(tracing, {
      agent: 'coder',
      input: { task: 'a' },
      output: { ok: true },
      calls: [
        { model: 'gpt-4o', provider: 'openai', input: 1200, output: 350, answer: 'one' },
        { model: 'gpt-4o', provider: 'openai', input: 800, output: 100, answer: 'two' },
      ],
      tool: 'read_file',
    }),
    await emitAgentRun(tracing, {
      agent: 'coder',
      input: { task: 'b' },
      calls: [{ model: 'gpt-4o-mini', provider: 'openai', input: 10, output: 1, answer: 'no', fails: 'the provider said no' }],
    }),
  ];
  await tracing.shutdown();
  const runs = await waitForRuns(d.runsDir, (rs) => traces.every((t) => rs.some((r) => r.metadata.trace_id === t && isFinal(r))));
  [coder, failed] = traces.map((t) => runs.find((r) => r.metadata.trace_id === t)!.runId) as [string, string];
});
afterAll(async () => {
  await d.stop();
});

describe('GET /api/v1/runs/{run_id}/spans', () => {
  it('gives the run\'s spans in tree order with depth, offsets and the LLM calls priced', async () => {
    const { status, body } = await getJson(`/api/v1/runs/${coder}/spans`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ run_id: coder, total: 4, offset: 0, next_offset: null });
    const spans = body.spans as { name: string; depth: number; offset_ms: number; duration_ms: number; parent_span_id: string | null; span_id: string; llm: Record<string, unknown> | null }[];
    expect(spans.map((s) => [s.name, s.depth])).toEqual([
      ['invoke_agent coder', 0],
      ['chat gpt-4o', 1],
      ['execute_tool read_file', 1],
      ['chat gpt-4o', 1],
    ]);
    expect(spans.slice(1).every((s) => s.parent_span_id === spans[0]!.span_id)).toBe(true);
    expect(spans[0]!.offset_ms).toBe(0);
    expect(spans.every((s) => s.offset_ms >= 0 && s.duration_ms >= 0 && s.offset_ms + s.duration_ms <= (body.duration_ms as number))).toBe(true);
    expect(spans[1]!.llm).toMatchObject({ provider: 'openai', model: 'gpt-4o', tokens_input: 1200, tokens_output: 350, cost_source: 'estimated', counted: true });
    // Priced by the same book as the run: the two calls add up to the run's cost.
    const run = (await getJson(`/api/v1/runs/${coder}`)).body;
    const cost = (spans[1]!.llm!.cost_usd as number) + (spans[3]!.llm!.cost_usd as number);
    expect(cost).toBeCloseTo(run.cost_usd as number, 9);
  });

  it('pages with offset and limit, and refuses bad values', async () => {
    const first = (await getJson(`/api/v1/runs/${coder}/spans?limit=3`)).body;
    expect(first).toMatchObject({ total: 4, next_offset: 3 });
    const rest = (await getJson(`/api/v1/runs/${coder}/spans?offset=3&limit=3`)).body;
    expect((rest.spans as unknown[]).length).toBe(1);
    expect(rest.next_offset).toBeNull();
    for (const query of ['limit=0', 'limit=10001', 'offset=-1', 'limit=x']) {
      const res = await getJson(`/api/v1/runs/${coder}/spans?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'invalid_argument' } });
    }
  });

  it('marks errors where they started, with their message', async () => {
    const spans = (await getJson(`/api/v1/runs/${failed}/spans`)).body.spans as { name: string; status: string; error: string | null; error_origin: boolean }[];
    expect(spans.map((s) => [s.name, s.status, s.error, s.error_origin])).toEqual([
      ['invoke_agent coder', 'error', 'the provider said no', false],
      ['chat gpt-4o-mini', 'error', 'the provider said no', true],
    ]);
  });

  it('gives one span\'s attributes and events; 404 for unknown spans and runs', async () => {
    const spans = (await getJson(`/api/v1/runs/${coder}/spans`)).body.spans as { span_id: string }[];
    const detail = await getJson(`/api/v1/runs/${coder}/spans/${spans[2]!.span_id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ name: 'execute_tool read_file', attributes: { 'gen_ai.tool.name': 'read_file' }, resource: { 'service.name': 'ui-api' }, scope: { name: 'paracle-tests' } });
    expect((await getJson(`/api/v1/runs/${coder}/spans/ffffffffffffffff`)).status).toBe(404);
    expect((await getJson('/api/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/spans')).status).toBe(404);
    expect((await getJson('/api/v1/runs/not-a-run/spans')).status).toBe(400);
  });
});

describe('GET /api/v1/runs?trace_id', () => {
  it('finds the run written for a trace, whatever its id became', async () => {
    const run = (await getJson(`/api/v1/runs/${coder}`)).body;
    const found = (await getJson(`/api/v1/runs?trace_id=${run.trace_id as string}`)).body;
    expect((found.runs as { run_id: string }[]).map((r) => r.run_id)).toEqual([coder]);
    expect((await getJson('/api/v1/runs?trace_id=0123456789abcdef0123456789abcdef')).body.runs).toEqual([]);
  });
});

describe('GET /api/v1/stats/series', () => {
  it('gives counts, failures, tokens, cost and percentiles per group and bucket', async () => {
    const { status, body } = await getJson('/api/v1/stats/series?by=agent&since=2h&step=1h');
    expect(status).toBe(200);
    expect(body).toMatchObject({ by: 'agent', step_seconds: 3600 });
    expect((body.buckets as number[]).length).toBeGreaterThanOrEqual(2);
    const series = body.series as { key: string; count: number[]; failures: number[]; tokens: number[] }[];
    expect(series.map((s) => s.key)).toEqual(['coder']);
    const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
    expect([sum(series[0]!.count), sum(series[0]!.failures), sum(series[0]!.tokens)]).toEqual([2, 1, 2450 + 11]);
  });

  it('refuses a bad step, dimension or window', async () => {
    for (const query of ['step=soon', 'by=colour', 'since=30d&step=1m', 'step=500ms']) {
      const res = await getJson(`/api/v1/stats/series?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});

describe('the UI\'s pages and assets', () => {
  it('serves the page at each of its addresses, uncached, with a strict CSP and no inline script', async () => {
    for (const path of ['/', '/runs', `/runs/${coder}`, '/diff', '/stats', '/runs?agent=coder']) {
      const res = await fetchRaw(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      const html = res.body.toString('utf8');
      expect(html).toMatch(/<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
      // Every script is a file of this daemon: none inline, none elsewhere.
      expect([...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].every((m) => m[1] === '' && /src="\//.test(m[0]))).toBe(true);
      expect(html).not.toMatch(/https?:\/\//);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('serves hashed assets immutable, with their types, gzip when asked, 304 when held', async () => {
    const html = (await fetchRaw('/')).body.toString('utf8');
    const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const css = /href="(\/assets\/app-[A-Z0-9]+\.css)"/.exec(html)![1]!;
    const icon = /href="(\/assets\/icon-[A-Z0-9]+\.svg)"/.exec(html)![1]!;
    const expected = [[js, 'text/javascript; charset=utf-8'], [css, 'text/css; charset=utf-8'], [icon, 'image/svg+xml']] as const;
    for (const [path, type] of expected) {
      const plain = await fetchRaw(path);
      expect(plain.status, path).toBe(200);
      expect(plain.headers['content-type']).toBe(type);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-encoding']).toBeUndefined();
      const zipped = await fetchRaw(path, { 'Accept-Encoding': 'br, gzip;q=0.8' });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      const again = await fetchRaw(path, { 'If-None-Match': plain.headers.etag as string });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
    }
    expect((await fetchRaw(js, { 'Accept-Encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    const head = await fetchRaw(js, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(10_000);
  });

  it('serves the icon at /favicon.ico, and 404/405 for what is not there', async () => {
    const icon = await fetchRaw('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.body.toString('utf8')).toMatch(/^<svg/);
    expect((await fetchRaw('/assets/app-NOPE.js')).status).toBe(404);
    expect((await fetchRaw('/nowhere')).status).toBe(404);
    expect((await fetchRaw('/', {}, 'POST')).status).toBe(405);
  });
});
