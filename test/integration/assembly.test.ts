import { setTimeout as sleep } from 'node:timers/promises';
import { trace, context } from '@opentelemetry/api';
import { decodeTime } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../helpers/otel.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { isFinal, traceSpans, waitForRuns } from '../helpers/runs.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon({ assembly: { grace_ms: 1000 } });
});
afterAll(async () => {
  await d.stop();
});

describe('assembly across requests', () => {
  it('joins children sent before the root and a child sent after it into one run', async () => {
    const tracing = startTracing('http-proto', d.otlpUrl, { batch: false });
    const { tracer } = tracing;
    const root = tracer.startSpan('invoke_agent early-bird', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'early-bird' },
    });
    const traceId = root.spanContext().traceId;
    const parent = trace.setSpan(context.active(), root);
    for (const n of [1, 2]) {
      tracer.startSpan(`chat ${n}`, { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 } }, parent).end();
    }
    const straggler = tracer.startSpan('execute_tool cleanup', { attributes: { 'gen_ai.operation.name': 'execute_tool' } }, parent);
    await tracing.flush();

    // The first spans make the run visible as running, before the root exists.
    const running = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId));
    expect(running.find((r) => r.metadata.trace_id === traceId)?.metadata.status).toBe('running');

    await sleep(300);
    root.end();
    await tracing.flush();
    straggler.end();
    await tracing.flush();
    await tracing.shutdown();

    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const mine = runs.filter((r) => r.metadata.trace_id === traceId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.metadata).toMatchObject({ status: 'completed', agent_id: 'early-bird', span_count: 4, tokens_used: 22 });
    const names = (await traceSpans(mine[0]!)).map((s) => s.name).sort();
    expect(names).toEqual(['chat 1', 'chat 2', 'execute_tool cleanup', 'invoke_agent early-bird']);
  });

  it('re-writes a finished run when a late span arrives, without a second run', async () => {
    const tracing = startTracing('http-json', d.otlpUrl, { batch: false });
    const { tracer } = tracing;
    const root = tracer.startSpan('invoke_agent slowpoke', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'slowpoke' } });
    const traceId = root.spanContext().traceId;
    const late = tracer.startSpan('chat late', {
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3 },
    }, trace.setSpan(context.active(), root));
    root.end();
    await tracing.flush();
    const first = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const before = first.find((r) => r.metadata.trace_id === traceId)!;
    expect(before.metadata).toMatchObject({ span_count: 1, tokens_used: 0 });

    late.end();
    await tracing.shutdown();
    const after = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && r.metadata.span_count === 2));
    const mine = after.filter((r) => r.metadata.trace_id === traceId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.runId).toBe(before.runId);
    expect(mine[0]!.metadata).toMatchObject({ status: 'completed', tokens_used: 10 });
    expect(await traceSpans(mine[0]!)).toHaveLength(2);
  });
});

describe('assembly.running_after_ms', () => {
  const RUNNING_AFTER_MS = 1500;
  let slow: TestDaemon;
  beforeAll(async () => {
    slow = await startTestDaemon({ assembly: { grace_ms: 200, running_after_ms: RUNNING_AFTER_MS } });
  });
  afterAll(async () => {
    await slow.stop();
  });

  it('writes a run that ends within it once, final: it never appears as running', async () => {
    const tracing = startTracing('http-proto', slow.otlpUrl, { batch: false });
    const root = tracing.tracer.startSpan('invoke_agent quick', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'quick' } });
    const traceId = root.spanContext().traceId;
    tracing.tracer.startSpan('chat 1', { attributes: { 'gen_ai.operation.name': 'chat' } }, trace.setSpan(context.active(), root)).end();
    await tracing.flush();
    await sleep(300);
    root.end();
    await tracing.flush();
    await tracing.shutdown();
    const seen = new Set<unknown>();
    const runs = await waitForRuns(slow.runsDir, (rs) => {
      rs.filter((r) => r.metadata.trace_id === traceId).forEach((r) => seen.add(r.metadata.status));
      return rs.some((r) => r.metadata.trace_id === traceId && isFinal(r));
    });
    expect([...seen]).toEqual(['completed']);
    expect(runs.filter((r) => r.metadata.trace_id === traceId)).toHaveLength(1);
  });

  it('shows a run still open after it as running, then writes it final in the same run', async () => {
    const tracing = startTracing('http-proto', slow.otlpUrl, { batch: false });
    // The root (exported last) starts before its child: while only the child is known the
    // run's start, and so its id's time part, is the child's; the root moves it earlier.
    const rootStart = Date.now() - 50;
    const root = tracing.tracer.startSpan('invoke_agent long', { startTime: rootStart, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'long' } });
    const traceId = root.spanContext().traceId;
    const sent = Date.now();
    tracing.tracer.startSpan('chat 1', { startTime: sent, attributes: { 'gen_ai.operation.name': 'chat' } }, trace.setSpan(context.active(), root)).end();
    await tracing.flush();
    const running = await waitForRuns(slow.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId));
    // Not before the trace was open that long (the daemon's clock starts after `sent`).
    expect(Date.now() - sent).toBeGreaterThanOrEqual(RUNNING_AFTER_MS);
    const shown = running.filter((r) => r.metadata.trace_id === traceId);
    expect(shown.map((r) => r.metadata.status)).toEqual(['running']);
    expect(decodeTime(shown[0]!.runId)).toBe(sent);
    root.end();
    await tracing.flush();
    await tracing.shutdown();
    const runs = await waitForRuns(slow.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const mine = runs.filter((r) => r.metadata.trace_id === traceId);
    expect(mine.map((r) => r.metadata.status)).toEqual(['completed']);
    // The same run: the id keeps its trace-derived part, its time part is now the root's start.
    expect(mine[0]!.runId.slice(10)).toBe(shown[0]!.runId.slice(10));
    expect(decodeTime(mine[0]!.runId)).toBe(rootStart);
  });
});
