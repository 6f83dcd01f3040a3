import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { WorkflowRunRecord } from '../../../src/model/index.js';
import { BASE_MS, TraceBuilder } from '../../helpers/span-builder.js';
import { paracleWorkflow } from '../../fixtures/semconv/paracle-workflow.js';
import type { StepPlan } from '../../fixtures/semconv/paracle-workflow.js';

function mapWorkflow(builder: TraceBuilder): WorkflowRunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record?.kind !== 'workflow') throw new Error('expected a workflow run');
  return record;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('a paracle workflow of five steps (CONVENTIONS.md §5)', () => {
  const { builder, steps } = paracleWorkflow();
  const run = mapWorkflow(builder);

  it('names the workflow and counts tokens, errors and spans', () => {
    expect(run).toMatchObject({
      workflowId: 'release',
      workflowName: 'Release pipeline',
      status: 'completed',
      startedAtMs: BASE_MS,
      completedAtMs: BASE_MS + 5200,
      usage: { input: 400, output: 80 },
      errorCount: 1,
      spanCount: 10,
      serviceName: 'release-bot',
      input: { version: '1.2.0' },
    });
  });

  it('gives each step its id, status, agent and timing', () => {
    expect(run.steps.map(({ stepId, status, agentId, spanId, startedAtMs, durationSeconds }) => ({ stepId, status, agentId, spanId, startedAtMs, durationSeconds }))).toEqual([
      { stepId: 'plan', status: 'completed', agentId: 'planner', spanId: steps[0]?.spanId, startedAtMs: BASE_MS + 100, durationSeconds: 0.9 },
      { stepId: 'code', status: 'completed', agentId: 'coder', spanId: steps[1]?.spanId, startedAtMs: BASE_MS + 1100, durationSeconds: 0.9 },
      { stepId: 'test', status: 'failed', agentId: 'tester', spanId: steps[2]?.spanId, startedAtMs: BASE_MS + 2100, durationSeconds: 0.9 },
      { stepId: 'review', status: 'skipped', agentId: null, spanId: steps[3]?.spanId, startedAtMs: BASE_MS + 3100, durationSeconds: 0.9 },
      { stepId: 'deploy', status: 'completed', agentId: 'coder', spanId: steps[4]?.spanId, startedAtMs: BASE_MS + 4100, durationSeconds: 0.9 },
    ]);
    const counts = Object.fromEntries(['completed', 'failed', 'skipped'].map((s) => [s, run.steps.filter((x) => x.status === s).length]));
    expect(counts).toEqual({ completed: 3, failed: 1, skipped: 1 });
  });

  it('lists the agents used in order of first start, once each', () => {
    expect(run.agentsUsed).toEqual(['planner', 'coder', 'tester']);
  });

  it('gives each step its input, output (null when absent) and artifacts', () => {
    expect(run.steps.map((s) => [s.input, s.output])).toEqual([
      [{ step: 'plan' }, { done: 'plan' }],
      [{ step: 'code' }, { done: 'code' }],
      [{ step: 'test' }, null],
      [{ step: 'review' }, null],
      [{ step: 'deploy' }, { done: 'deploy' }],
    ]);
    expect(run.steps.map((s) => s.artifacts.map((a) => [a.name, text(a.content)]))).toEqual([
      [['plan.txt', 'by planner']],
      [['code.txt', 'by coder']],
      [['test.txt', 'by tester']],
      [],
      [['deploy.txt', 'by coder']],
    ]);
    expect(run.artifacts).toEqual([]);
  });

  it('fails the workflow when its root span fails', () => {
    const failing = paracleWorkflow();
    failing.root.status = { code: 2, message: 'step test failed' };
    expect(mapWorkflow(failing.builder)).toMatchObject({ status: 'failed', errorCount: 1 });
  });
});

describe('step ids', () => {
  it('suffixes repeated ids -2, -3 in start order', () => {
    const plans: StepPlan[] = [{ id: 'review', agent: 'a' }, { id: 'Review', agent: 'b' }, { id: 'fix', agent: 'c' }, { id: 'review', agent: 'd' }];
    const run = mapWorkflow(paracleWorkflow(plans).builder);
    expect(run.steps.map((s) => s.stepId)).toEqual(['review', 'review-2', 'fix', 'review-3']);
  });

  it('skips a suffix already taken by a step named like it', () => {
    const plans: StepPlan[] = [{ id: 'a' }, { id: 'a-2' }, { id: 'a' }];
    expect(mapWorkflow(paracleWorkflow(plans).builder).steps.map((s) => s.stepId)).toEqual(['a', 'a-2', 'a-3']);
  });

  it('slugs ids into directory names', () => {
    const run = mapWorkflow(paracleWorkflow([{ id: 'Write Tests / Unit' }]).builder);
    expect(run.steps.map((s) => s.stepId)).toEqual(['write-tests-unit']);
  });
});

describe('steps without paracle.step.id', () => {
  it('are the first layer of GenAI spans under the root, named by agent name or span name without its operation', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_workflow triage', {
      endMs: 1000,
      attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'Triage' },
    });
    const http = builder.span('GET /tickets', { parent: root, startMs: 1, endMs: 5, attributes: { 'http.request.method': 'GET' } });
    builder.span('execute_tool fetch', { parent: http, startMs: 2, endMs: 4, attributes: { 'gen_ai.operation.name': 'execute_tool' } });
    const classify = builder.span('invoke_agent classifier', {
      parent: root,
      startMs: 10,
      endMs: 500,
      status: 'error',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Classifier' },
    });
    builder.span('chat gpt-4o', { parent: classify, startMs: 20, endMs: 400, attributes: { 'gen_ai.operation.name': 'chat' } });
    const run = mapWorkflow(builder);
    expect(run.steps.map((s) => [s.stepId, s.status, s.agentId])).toEqual([
      ['fetch', 'completed', null],
      ['classifier', 'failed', 'classifier'],
    ]);
    expect(run.agentsUsed).toEqual(['classifier']);
    expect(run.workflowId).toBe('triage');
  });
});
