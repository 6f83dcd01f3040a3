import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSpan, startTracing, type ExporterKind } from '../helpers/otel.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { traceSpans, waitForFinalRuns } from '../helpers/runs.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

const TRACES_PER_EXPORTER = 100;

async function sendAgentRuns(kind: ExporterKind, label: string): Promise<string[]> {
  const tracing = startTracing(kind, d.otlpUrl, { serviceName: `svc-${label}` });
  const ids = await Promise.all(
    Array.from({ length: TRACES_PER_EXPORTER }, (_, i) =>
      inSpan(tracing.tracer, 'invoke_agent worker', { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': `${label}-${i % 5}` }, async (root) => {
        await inSpan(tracing.tracer, 'chat', { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 2 }, () => undefined);
        return root.spanContext().traceId;
      }),
    ),
  );
  await tracing.shutdown();
  return ids;
}

describe('concurrent senders', () => {
  it('turns 300 traces from three exporters into exactly 300 runs', async () => {
    const sent = (await Promise.all([sendAgentRuns('http-json', 'a'), sendAgentRuns('http-proto', 'b'), sendAgentRuns('http-json', 'c')])).flat();
    expect(new Set(sent).size).toBe(300);
    const runs = await waitForFinalRuns(d.runsDir, 300, 30_000);
    expect(runs).toHaveLength(300);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(300);
    expect(new Set(runs.map((r) => r.metadata.trace_id))).toEqual(new Set(sent));
    expect(runs.every((r) => r.metadata.status === 'completed' && r.metadata.tokens_used === 5)).toBe(true);
    const spanCounts = await Promise.all(runs.slice(0, 20).map(async (r) => (await traceSpans(r)).length));
    expect(spanCounts.every((n) => n === 2)).toBe(true);
  });
});
