import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { AgentRunRecord, RunRecord, TracePhase, WorkflowRunRecord } from '../../../src/model/index.js';
import { BASE_MS, keyValues, TRACE_ID, TraceBuilder } from '../../helpers/span-builder.js';
import { codingAgent, FINAL_MESSAGES, SERVICE, USER_MESSAGES } from '../../fixtures/semconv/otel-genai.js';
import { httpAroundAgent, plainHttp } from '../../fixtures/semconv/plain-http.js';
import { paracleWorkflow } from '../../fixtures/semconv/paracle-workflow.js';

function map(builder: TraceBuilder, phase: TracePhase = 'complete'): RunRecord {
  const record = mapTrace(builder.trace(phase), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  return record;
}

function agent(record: RunRecord): AgentRunRecord {
  if (record.kind !== 'agent') throw new Error(`expected an agent run, got ${record.kind}`);
  return record;
}

function workflow(record: RunRecord): WorkflowRunRecord {
  if (record.kind !== 'workflow') throw new Error(`expected a workflow run, got ${record.kind}`);
  return record;
}

describe('an OTel GenAI agent run', () => {
  it('maps every field of the record', () => {
    const { builder, firstChat, secondChat } = codingAgent('repeats-children');
    expect(map(builder)).toEqual({
      kind: 'agent',
      traceId: TRACE_ID,
      serviceName: SERVICE,
      startedAtMs: BASE_MS,
      completedAtMs: BASE_MS + 2000,
      status: 'completed',
      incomplete: false,
      usage: { input: 1800, output: 650, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
      usageCountedSpans: [firstChat.spanId, secondChat.spanId],
      usageShares: expect.any(Array),
      costUsd: 0,
      costSource: 'none',
      usageByModel: [
        {
          provider: 'openai',
          model: 'gpt-4o-2024-08-06',
          usage: { input: 1800, output: 650, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 },
          calls: 2,
          reportedCostUsd: null,
          estimatedCostUsd: null,
        },
      ],
      priceBookVersion: null,
      spanCount: 4,
      errorCount: 0,
      replayOf: null,
      sessionId: null,
      error: null,
      input: USER_MESSAGES,
      output: FINAL_MESSAGES,
      artifacts: [],
      logs: [],
      privacy: {},
      agentId: 'asst_5j66UpCpwteGg4YSxUnt7lPY',
      agentName: 'Coder',
      exitCode: 0,
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      temperature: 0.2,
      memoryMb: null,
      cpuSeconds: null,
      filesModified: 0,
    });
  });

  it('reads paracle.* identity, resources, exit code and replay_of from the root, over gen_ai.*', () => {
    const { builder, root } = codingAgent();
    root.attributes.push(
      ...keyValues({
        'paracle.agent.id': 'coder',
        'paracle.agent.name': 'Coder Agent',
        'paracle.resource.memory_mb': 128,
        'paracle.resource.cpu_seconds': 3.2,
        'paracle.replay_of': '01HN7X8K9M2PQRSTUVWXYZ3456',
        'paracle.files_modified': 2,
        'paracle.exit_code': 0,
      }),
    );
    expect(map(builder)).toMatchObject({
      agentId: 'coder',
      agentName: 'Coder Agent',
      memoryMb: 128,
      cpuSeconds: 3.2,
      replayOf: '01HN7X8K9M2PQRSTUVWXYZ3456',
      filesModified: 2,
      exitCode: 0,
      status: 'completed',
    });
  });

  it('slugs gen_ai.agent.name into the agent id when no id is given', () => {
    const builder = new TraceBuilder();
    builder.span('invoke_agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Research Assistant (v2)' } });
    expect(agent(map(builder))).toMatchObject({ agentId: 'research-assistant-v2', agentName: 'Research Assistant (v2)' });
  });

  it('takes identity from the first agent span when the run root has none', () => {
    const builder = new TraceBuilder({ resource: { 'service.name': 'svc' } });
    const root = builder.span('agent_step', { endMs: 10, attributes: { 'gen_ai.operation.name': 'agent_step' } });
    builder.span('invoke_agent', { parent: root, startMs: 1, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Helper' } });
    expect(agent(map(builder))).toMatchObject({ agentId: 'helper', agentName: 'Helper' });
  });

  it('fails on a stated non-zero exit code even when no span is errored', () => {
    const { builder, root } = codingAgent();
    root.attributes.push(...keyValues({ 'paracle.exit_code': 3 }));
    expect(agent(map(builder))).toMatchObject({ status: 'failed', exitCode: 3 });
  });

  it('takes process.exit.code when paracle.exit_code is absent', () => {
    const { builder, root } = codingAgent();
    root.attributes.push(...keyValues({ 'process.exit.code': 0 }));
    expect(agent(map(builder))).toMatchObject({ status: 'completed', exitCode: 0 });
  });
});

describe('run root and kind (CONVENTIONS.md §3)', () => {
  it('maps an unrecognised trace to an agent run named after service.name', () => {
    const run = agent(map(plainHttp()));
    expect(run).toMatchObject({
      agentId: 'orders-api',
      agentName: 'GET /api/orders',
      serviceName: 'Orders API',
      status: 'completed',
      spanCount: 2,
      provider: null,
      model: null,
      input: null,
      output: null,
    });
  });

  it('does not recognise a trace by resource attributes alone', () => {
    const builder = new TraceBuilder({ resource: { 'service.name': 'orders', 'paracle.project': 'shop' } });
    builder.span('GET /', { attributes: { 'http.request.method': 'GET' } });
    expect(mapTrace(builder.trace(), { unrecognized: 'drop' })).toBeNull();
  });

  it('names the agent from a resource paracle.agent.id without making every span an agent', () => {
    const builder = new TraceBuilder({ resource: { 'service.name': 'svc', 'paracle.agent.id': 'coder' } });
    const root = builder.span('invoke_agent', { endMs: 10, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    builder.span('chat', { parent: root, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.response.model': 'm1' } });
    builder.span('chat', { parent: root, startMs: 1, attributes: { 'gen_ai.response.model': 'm2', 'gen_ai.usage.output_tokens': 3 } });
    expect(agent(map(builder))).toMatchObject({ agentId: 'coder', model: 'm1', usage: { output: 3 } });
  });

  it('drops an unrecognised trace when told to', () => {
    expect(mapTrace(plainHttp().trace(), { unrecognized: 'drop' })).toBeNull();
  });

  it('keeps a recognised trace when unrecognised ones are dropped', () => {
    expect(mapTrace(codingAgent().builder.trace(), { unrecognized: 'drop' })).not.toBeNull();
  });

  it('returns null for a trace without spans', () => {
    expect(mapTrace({ traceId: TRACE_ID, phase: 'complete', spans: [], logs: [], late: false }, { unrecognized: 'agent' })).toBeNull();
  });

  it('reads the run from the one GenAI subtree below an HTTP root', () => {
    const builder = httpAroundAgent();
    const run = agent(map(builder));
    expect(run).toMatchObject({
      agentId: 'support',
      agentName: 'Support',
      startedAtMs: BASE_MS + 50,
      completedAtMs: BASE_MS + 1400,
      spanCount: 4,
      usage: { input: 50, output: 10 },
    });
  });

  it('takes the span with gen_ai.invocation.is_nested=false as the run root', () => {
    const builder = new TraceBuilder();
    const turn = builder.span('handle_conversation_turn', {
      endMs: 100,
      attributes: { 'gen_ai.operation.name': 'handle_conversation_turn', 'gen_ai.agent.name': 'Outer' },
    });
    builder.span('invoke_agent Inner', {
      parent: turn,
      startMs: 10,
      endMs: 90,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Inner', 'gen_ai.invocation.is_nested': false },
    });
    expect(agent(map(builder))).toMatchObject({ agentId: 'inner', startedAtMs: BASE_MS + 10 });
  });

  it.each([
    [{ 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'Triage' }, 'workflow'],
    [{ 'gen_ai.operation.name': 'handle_conversation_turn', 'gen_ai.workflow.name': 'Triage' }, 'workflow'],
    [{ 'gen_ai.operation.name': 'handle_conversation_turn' }, 'agent'],
    [{ 'gen_ai.operation.name': 'invoke_agent', 'paracle.run.kind': 'workflow' }, 'workflow'],
    [{ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.workflow.name': 'Triage' }, 'agent'],
    [{ 'gen_ai.operation.name': 'chat', 'gen_ai.workflow.name': 'Triage' }, 'workflow'],
    [{ 'gen_ai.operation.name': 'chat', 'paracle.workflow.id': 'triage' }, 'workflow'],
    [{ 'gen_ai.operation.name': 'chat' }, 'agent'],
  ])('root %j is a %s run', (attributes, kind) => {
    const builder = new TraceBuilder();
    builder.span('root', { attributes });
    expect(map(builder).kind).toBe(kind);
  });

  it('names a workflow from gen_ai.workflow.name', () => {
    const builder = new TraceBuilder();
    builder.span('invoke_workflow', { attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'Ticket Triage' } });
    expect(workflow(map(builder))).toMatchObject({ workflowId: 'ticket-triage', workflowName: 'Ticket Triage' });
  });
});

describe('phases', () => {
  it('orphaned: final, incomplete, read from the earliest span, ends at the latest span', () => {
    const { builder, root } = codingAgent();
    const withoutRoot = builder.spans.filter((s) => s !== root);
    const record = mapTrace(builder.trace('orphaned', withoutRoot), { unrecognized: 'agent' });
    expect(record).toMatchObject({
      kind: 'agent',
      status: 'completed',
      incomplete: true,
      startedAtMs: BASE_MS + 10,
      completedAtMs: BASE_MS + 1990,
      agentId: 'coder-service',
      agentName: 'chat gpt-4o',
      usage: { input: 1800, output: 650 },
      spanCount: 3,
    });
  });

  it('started without the root: running, no completion time, every fragment counted', () => {
    const { builder, root } = codingAgent();
    const record = mapTrace(builder.trace('started', builder.spans.filter((s) => s !== root)), { unrecognized: 'agent' });
    expect(record).toMatchObject({
      kind: 'agent',
      status: 'running',
      completedAtMs: null,
      incomplete: false,
      exitCode: null,
      startedAtMs: BASE_MS + 10,
      usage: { input: 1800, output: 650 },
    });
  });

  it('interrupted with the root present: still running', () => {
    expect(map(codingAgent().builder, 'interrupted')).toMatchObject({ status: 'running', completedAtMs: null, startedAtMs: BASE_MS });
  });

  it('started workflow without its root: a workflow by its step spans, named after its first span until the root comes', () => {
    const { builder, root } = paracleWorkflow();
    const firstSteps = builder.spans.filter((s) => s !== root).slice(0, 4);
    const run = workflow(mapTrace(builder.trace('started', firstSteps), { unrecognized: 'agent' }) as RunRecord);
    expect(run).toMatchObject({ status: 'running', workflowId: 'step-plan', completedAtMs: null });
    expect(run.steps.map((s) => [s.stepId, s.status])).toEqual([['plan', 'completed'], ['code', 'completed']]);
    expect(run.agentsUsed).toEqual(['planner', 'coder']);
  });
});
