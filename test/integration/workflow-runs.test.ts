import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSpan, startTracing, type ExporterKind, type TestTracing } from '../helpers/otel.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { isFinal, readRunJson, traceSpans, waitForRuns } from '../helpers/runs.js';

const WORKFLOW_SCHEMA_FIELDS = [
  'run_id', 'workflow_id', 'workflow_name', 'started_at', 'completed_at', 'duration_seconds', 'status',
  'steps_total', 'steps_completed', 'steps_failed', 'steps_skipped', 'agents_used', 'tokens_total',
  'cost_total_usd', 'artifacts_count',
];

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

interface StepPlan {
  id: string;
  agent?: string;
  fails?: boolean;
  skipped?: boolean;
}

async function runStep(tracing: TestTracing, step: StepPlan): Promise<void> {
  const attributes: Record<string, string> = { 'paracle.step.id': step.id, 'paracle.input': JSON.stringify({ step: step.id }) };
  if (step.skipped) attributes['paracle.step.status'] = 'skipped';
  else attributes['paracle.output'] = JSON.stringify({ done: step.id });
  await inSpan(tracing.tracer, `step ${step.id}`, attributes, async (span) => {
    if (!step.agent) return;
    span.addEvent('paracle.artifact', { 'artifact.name': `${step.id}.txt`, 'artifact.content': `by ${step.agent}` });
    await inSpan(tracing.tracer, `invoke_agent ${step.agent}`, {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': step.agent,
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-3-5-sonnet-20241022',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
    }, () => {
      if (step.fails) throw new Error(`${step.id} failed`);
    });
  }).catch(() => undefined);
}

describe.each<ExporterKind>(['http-json', 'http-proto', 'grpc'])('workflow runs over %s', (kind) => {
  it('writes a five-step workflow with one failed and one skipped step', async () => {
    const tracing = startTracing(kind, d.endpoint(kind), { serviceName: 'release-bot' });
    const steps: StepPlan[] = [
      { id: 'plan', agent: 'planner' },
      { id: 'code', agent: 'coder' },
      { id: 'test', agent: 'tester', fails: true },
      { id: 'review', skipped: true },
      { id: 'deploy', agent: 'coder' },
    ];
    const traceId = await inSpan(tracing.tracer, 'invoke_workflow release', {
      'paracle.run.kind': 'workflow',
      'paracle.workflow.id': 'release',
      'paracle.workflow.name': 'Release pipeline',
      'paracle.input': JSON.stringify({ version: '1.2.0' }),
    }, async (root) => {
      for (const step of steps) await runStep(tracing, step);
      return root.spanContext().traceId;
    });
    await tracing.shutdown();

    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const mine = runs.filter((r) => r.metadata.trace_id === traceId);
    expect(mine).toHaveLength(1);
    const run = mine[0]!;
    expect(run.kind).toBe('workflow');
    expect(Object.keys(run.metadata).slice(0, WORKFLOW_SCHEMA_FIELDS.length)).toEqual(WORKFLOW_SCHEMA_FIELDS);
    expect(run.metadata).toMatchObject({
      workflow_id: 'release',
      workflow_name: 'Release pipeline',
      status: 'completed',
      steps_total: 5,
      steps_completed: 3,
      steps_failed: 1,
      steps_skipped: 1,
      agents_used: ['planner', 'coder', 'tester'],
      tokens_total: 480,
      tokens_input: 400,
      tokens_output: 80,
      artifacts_count: 4,
      error_count: 1,
      kind: 'workflow',
      service_name: 'release-bot',
      span_count: 10,
    });
    expect((await readdir(join(run.dir, 'steps'))).sort()).toEqual(['code', 'deploy', 'plan', 'review', 'test']);
    expect(await readRunJson(run, 'input.json')).toEqual({ version: '1.2.0' });
    const codeStep = { ...run, dir: join(run.dir, 'steps', 'code') };
    expect(await readRunJson(codeStep, 'input.json')).toEqual({ step: 'code' });
    expect(await readRunJson(codeStep, 'output.json')).toEqual({ done: 'code' });
    expect(await readdir(join(codeStep.dir, 'artifacts'))).toEqual(['code.txt']);
    expect(await readRunJson({ ...run, dir: join(run.dir, 'steps', 'review') }, 'output.json')).toBeNull();
    expect(await traceSpans(run)).toHaveLength(10);
  });
});
