import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import { inSpan, startTracing, type ExporterKind } from '../helpers/otel.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { readRunJson, traceSpans, waitForRuns, isFinal, type StoredRun } from '../helpers/runs.js';

const AGENT_SCHEMA_FIELDS = [
  'run_id', 'agent_id', 'agent_name', 'started_at', 'completed_at', 'duration_seconds', 'status', 'exit_code',
  'provider', 'model', 'temperature', 'tokens_used', 'cost_usd', 'memory_mb', 'cpu_seconds', 'artifacts_count',
  'files_modified', 'error_count',
];
const AGENT_EXTRAS = ['kind', 'trace_id', 'service_name', 'tokens_input', 'tokens_output', 'span_count', 'replay_of'];

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

/** Waits for the final run of `traceId`. */
async function finalRun(traceId: string): Promise<StoredRun> {
  const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
  const matching = runs.filter((r) => r.metadata.trace_id === traceId);
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

async function chatCall(tracing: ReturnType<typeof startTracing>, input: number, output: number, answer: string) {
  await inSpan(tracing.tracer, 'chat gpt-4o', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.request.temperature': 0.2,
    'gen_ai.usage.input_tokens': input,
    'gen_ai.usage.output_tokens': output,
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]),
  }, () => undefined);
}

describe.each<ExporterKind>(['http-json', 'http-proto'])('agent runs over %s', (kind) => {
  it('writes an agent run with two LLM calls, tokens counted once, every file and field', async () => {
    const tracing = startTracing(kind, d.otlpUrl, { serviceName: 'coder-service' });
    const traceId = await inSpan(tracing.tracer, 'invoke_agent coder', {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'coder',
      'gen_ai.agent.name': 'Coder Agent',
      'paracle.input': JSON.stringify({ task: 'fix the bug' }),
      'paracle.output': JSON.stringify({ patch: 'diff --git' }),
      'paracle.resource.memory_mb': 128,
      // The aggregate repeats its children's usage, as OTel invoke_agent spans may: counted once.
      'gen_ai.usage.input_tokens': 1800,
      'gen_ai.usage.output_tokens': 650,
    }, async (root) => {
      await chatCall(tracing, 1000, 400, 'first');
      await chatCall(tracing, 800, 250, 'second');
      root.addEvent('paracle.artifact', { 'artifact.name': '../../etc/passwd', 'artifact.content': 'not really', 'artifact.modified': true });
      root.addEvent('plan.ready', { steps: 2 });
      return root.spanContext().traceId;
    });
    await tracing.shutdown();

    const run = await finalRun(traceId);
    expect(run.kind).toBe('agent');
    const m = run.metadata;
    expect(Object.keys(m).slice(0, AGENT_SCHEMA_FIELDS.length)).toEqual(AGENT_SCHEMA_FIELDS);
    for (const extra of AGENT_EXTRAS) expect(m).toHaveProperty(extra);
    expect(m).toMatchObject({
      run_id: run.runId,
      agent_id: 'coder',
      agent_name: 'Coder Agent',
      status: 'completed',
      exit_code: 0,
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      temperature: 0.2,
      tokens_used: 2450,
      tokens_input: 1800,
      tokens_output: 650,
      memory_mb: 128,
      cpu_seconds: null,
      error_count: 0,
      kind: 'agent',
      trace_id: traceId,
      service_name: 'coder-service',
      span_count: 3,
      replay_of: null,
      artifacts_count: 1,
      files_modified: 1,
    });
    expect(decodeTime(run.runId)).toBe(Date.parse(m.started_at as string));
    expect(m.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(m.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(m.started_at as string));

    expect((await readdir(run.dir)).sort()).toEqual(
      ['artifacts', 'input.json', 'logs.txt', 'metadata.yaml', 'output.json', 'trace.json'],
    );
    expect(await readRunJson(run, 'input.json')).toEqual({ task: 'fix the bug' });
    expect(await readRunJson(run, 'output.json')).toEqual({ patch: 'diff --git' });
    expect(await readFile(join(run.dir, 'artifacts', 'etc', 'passwd'), 'utf8')).toBe('not really');
    const spans = await traceSpans(run);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'chat gpt-4o', 'invoke_agent coder']);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    const logs = await readFile(join(run.dir, 'logs.txt'), 'utf8');
    expect(logs).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO span="?invoke_agent coder"? trace_id=${traceId} span_id=[0-9a-f]{16} msg="?plan.ready"? steps=2$`, 'm'),
    );
    expect(logs).not.toContain('not really');
  });

  it('writes a failed agent run with its exception as one error', async () => {
    const tracing = startTracing(kind, d.otlpUrl);
    let traceId = '';
    await expect(
      inSpan(tracing.tracer, 'invoke_agent tester', { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': 'tester' }, async (root) => {
        traceId = root.spanContext().traceId;
        await chatCall(tracing, 10, 5, 'ok');
        throw new Error('tool exploded');
      }),
    ).rejects.toThrow('tool exploded');
    await tracing.shutdown();

    const run = await finalRun(traceId);
    expect(run.metadata).toMatchObject({ agent_id: 'tester', status: 'failed', error_count: 1, exit_code: 1, tokens_used: 15 });
    const logs = await readFile(join(run.dir, 'logs.txt'), 'utf8');
    expect(logs).toMatch(/ ERROR span=.* msg="?tool exploded"? .*exception.type=Error/);
    expect(await readRunJson(run, 'output.json')).toBeNull();
  });
});
