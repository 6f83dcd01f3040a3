import { trace, context } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { promtoolCheckMetrics, scrape, sumOf } from '../helpers/metrics.js';
import { inSpan, startTracing } from '../helpers/otel.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

const CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' };

describe('/metrics of a running daemon', () => {
  it('counts a run once and a late span\'s tokens once when the run is re-written', async () => {
    const tracing = startTracing('http-proto', d.otlpUrl, { batch: false });
    const { tracer } = tracing;
    const root = tracer.startSpan('invoke_agent latecomer', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'latecomer' } });
    const traceId = root.spanContext().traceId;
    const parent = trace.setSpan(context.active(), root);
    tracer.startSpan('chat first', { attributes: { ...CHAT, 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10 } }, parent).end();
    const lateSpan = tracer.startSpan('chat late', { attributes: { ...CHAT, 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3 } }, parent);
    root.end();
    await tracing.flush();
    await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const labels = { agent: 'latecomer', workflow: '', provider: 'openai', model: 'gpt-4o' };
    const before = await scrape(d.httpUrl);
    expect(sumOf(before, 'paracle_runs_total', { kind: 'agent', id: 'latecomer', status: 'completed' })).toBe(1);
    expect(sumOf(before, 'paracle_tokens_total', { ...labels, type: 'input' })).toBe(100);

    lateSpan.end();
    await tracing.shutdown();
    await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && r.metadata.span_count === 3));
    const after = await scrape(d.httpUrl);
    expect(sumOf(after, 'paracle_runs_total', { kind: 'agent', id: 'latecomer' })).toBe(1);
    expect(sumOf(after, 'paracle_run_duration_seconds_count', { kind: 'agent', id: 'latecomer' })).toBe(1);
    expect(sumOf(after, 'paracle_tokens_total', { ...labels, type: 'input' })).toBe(107);
    expect(sumOf(after, 'paracle_tokens_total', { ...labels, type: 'output' })).toBe(13);
    expect(sumOf(after, 'paracle_received_spans_total', { protocol: 'http_protobuf', outcome: 'accepted' })).toBe(3);
  });

  it('serves a scrape promtool accepts, and OpenMetrics by Accept', async () => {
    const tracing = startTracing('http-json', d.otlpUrl);
    await inSpan(tracing.tracer, 'invoke_agent checker', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'checker' }, () => undefined);
    await tracing.shutdown();
    await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.agent_id === 'checker' && isFinal(r)));
    const result = await promtoolCheckMetrics(await scrape(d.httpUrl));
    expect(result.output).toBe('');
    expect(result.code).toBe(0);

    const res = await fetch(`${d.httpUrl}/metrics`, { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
    expect(await res.text()).toMatch(/^paracle_runs_total\{kind="agent",id="checker",status="completed"\} 1$/m);
  });
});
