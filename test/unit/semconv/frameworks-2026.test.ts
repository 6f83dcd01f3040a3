import { describe, expect, it } from 'vitest';
import type { WorkflowRunRecord } from '../../../src/model/index.js';
import { pricedRun } from '../../helpers/priced-run.js';
import type { TraceBuilder } from '../../helpers/span-builder.js';
import { adkAgent, claudeCodeInteraction, llamaIndexAgent, pydanticAiAgent, springAiChatClient, strandsSecondRun, strandsTypeScriptAgent } from '../../fixtures/semconv/frameworks-agents.js';
import { adkJsWorkflow, adkWorkflow, agentFrameworkWorkflow, mastraAgent, mastraWorkflow, mastraZeroAgent, mastraZeroWorkflow, strandsSwarm } from '../../fixtures/semconv/frameworks-workflows.js';

const run = pricedRun;

function workflow(builder: TraceBuilder): WorkflowRunRecord {
  const record = run(builder);
  if (record.kind !== 'workflow') throw new Error(`expected a workflow run, got ${record.kind}`);
  return record;
}

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0, reasoning = 0) => ({ input, output, cacheRead, cacheWrite, reasoning, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });

// Prices per million tokens (genai-prices 0.1.8): gemini-2.5-flash 0.30 in / 0.03 cache read / 2.50 out;
// gpt-4o-mini 0.15 / 0.075 / 0.60; gpt-4o 2.50 / 1.25 / 10; Bedrock Claude Sonnet 4 3 / 0.30 read / 3.75 write / 15.
describe('2026 agent frameworks: one run each, right identity, tokens counted once, right cost (FRAMEWORKS-2026)', () => {
  it('Google ADK: provider from the model (gcp.vertex.agent is the framework), thinking tokens back in output, prompt and answer from its JSON', () => {
    const r = run(adkAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'weather_agent', agentName: 'weather_agent', provider: 'gcp.gemini', model: 'gemini-2.5-flash', sessionId: 'adk-session-1' });
    expect(r.usage).toEqual(usage(2100, 100, 800, 0, 40));
    expect(r).toMatchObject({ costUsd: 0.000664, costSource: 'estimated' });
    expect(r.input).toEqual([{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }]);
    expect(r.output).toEqual({ role: 'model', parts: [{ text: 'Sunny in Paris, 21°C.' }] });
  });

  it('Pydantic AI: aggregated usage on the run span counts once, operation.cost is the reported cost, system instructions lead the input', () => {
    const r = run(pydanticAiAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'support_agent', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', sessionId: 'conv-9' });
    expect(r.usage).toEqual(usage(3000, 150, 2000, 500));
    expect(r.usageCountedSpans).toHaveLength(2);
    expect(r).toMatchObject({ costUsd: 0.006225, costSource: 'reported' });
    expect(r.input).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You help with orders.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 42?' }] },
    ]);
    expect(r.output).toEqual({ text: 'Your order ships tomorrow.' });
  });

  it('Strands: the agent span\'s cumulative usage is ignored for the calls, Bedrock input completed with its cache, content from span events', () => {
    const r = run(strandsSecondRun());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'research_agent', provider: 'aws.bedrock', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0', sessionId: null });
    expect(r.usage).toEqual(usage(2900, 80, 2300, 300));
    expect(r).toMatchObject({ costUsd: 0.003915, costSource: 'estimated' });
    expect(r.input).toEqual([{ role: 'user', content: '[{"text":"Summarise the findings"}]' }]);
    expect(r.output).toEqual({ role: 'assistant', message: '[{"text":"Three findings stand out."}]', finish_reason: 'end_turn' });
  });

  it('Strands TypeScript: gen_ai.agent.id is the SDK\'s session key (`agent`), the agent is its name; strands-agents is no provider', () => {
    const r = run(strandsTypeScriptAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'greeter', agentName: 'greeter', provider: null, model: null, costSource: 'none' });
    expect(r.usage).toEqual(usage(100, 20));
    expect(r.usageShares).toHaveLength(1);
  });

  it('Claude Code: flat Anthropic-native counts (input without cache), cost from claude_code.api_request log events, session.id', () => {
    const r = run(claudeCodeInteraction());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'claude-code', provider: 'anthropic', model: 'claude-sonnet-4-5', sessionId: 'cc-session-5' });
    expect(r.usage).toEqual(usage(30855, 420, 30300, 500));
    expect(r).toMatchObject({ costUsd: 0.019, costSource: 'reported' });
    expect(r.input).toEqual({ text: 'Fix the failing test' });
    expect(r.output).toBeNull();
  });

  it('Spring AI: the ChatClient span is structure, spring_ai no provider, the conversation id is the session', () => {
    const r = run(springAiChatClient());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'support-service', provider: 'openai', model: 'gpt-4o-2024-08-06', sessionId: 'spring-conv-3' });
    expect(r.usage).toEqual(usage(800, 120, 600));
    expect(r).toMatchObject({ costUsd: 0.00245, costSource: 'estimated' });
    expect(r.input).toEqual({ text: 'How do I reset my password?' });
    expect(r.output).toEqual({ text: 'Use the "Forgot password" link.' });
  });

  it('LlamaIndex: a task uuid in gen_ai.agent.id names no agent, llama_index names no provider', () => {
    const r = run(llamaIndexAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'rag-service', provider: 'openai', model: 'gpt-4o-mini', sessionId: null });
    expect(r.usage).toEqual(usage(1100, 110));
    expect(r).toMatchObject({ costUsd: 0.000231, costSource: 'estimated' });
    expect(r.input).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'What is RAG?' }] }]);
    expect(r.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Retrieval-augmented generation.' }] }]);
  });

  it('Mastra 1.x: one chat over its model steps, the Mastra agent key as id, agent I/O from mastra.agent_run.*', () => {
    const r = run(mastraAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'weatherAgent', agentName: 'Weather Agent', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', sessionId: 'mastra-thread-2' });
    expect(r.usage).toEqual(usage(900, 70, 400, 0, 20));
    expect(r).toMatchObject({ costUsd: 0.000147, costSource: 'estimated' });
    expect(r.input).toEqual([{ role: 'user', content: 'Weather in Oslo?' }]);
    expect(r.output).toEqual({ text: 'Cold and clear in Oslo.' });
  });

  it('Mastra 0.x: agent.run, agent.id as emitted, openai.chat as openai, cached_input_tokens, threadId as session, generic input/output', () => {
    const r = run(mastraZeroAgent());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'Weather Agent', agentName: 'Weather Agent', provider: 'openai', model: 'gpt-4o-mini', sessionId: 'mastra-thread-2' });
    expect(r.usage).toEqual(usage(900, 70, 400, 0, 20));
    expect(r.usageCountedSpans).toHaveLength(1);
    expect(r).toMatchObject({ costUsd: 0.000147, costSource: 'estimated' });
    expect(r.input).toEqual({ text: 'Weather in Oslo?' });
    expect(r.output).toEqual({ text: 'Cold and clear in Oslo.', files: [] });
  });
});

describe('2026 workflow shapes: workflow runs with their steps and agents', () => {
  const steps = (r: WorkflowRunRecord) => r.steps.map((s) => [s.stepId, s.status, s.agentId]);

  it('Microsoft Agent Framework: workflow.run over executor.process steps, uuid agent ids skipped, usage on agent and chat counted once', () => {
    const r = workflow(agentFrameworkWorkflow());
    expect(r).toMatchObject({ workflowId: 'triage', workflowName: 'triage', sessionId: 'maf-thread-1', agentsUsed: ['classifier', 'responder'] });
    expect(steps(r)).toEqual([['classifier', 'completed', 'classifier'], ['responder', 'completed', 'responder']]);
    expect(r.usage).toEqual(usage(1100, 120));
    expect(r.usageByModel.map((g) => [g.provider, g.model])).toEqual([['openai', 'gpt-4o-mini-2024-07-18']]);
    expect(r).toMatchObject({ costUsd: 0.000237, costSource: 'estimated' });
  });

  it('Mastra 1.x: invoke_workflow over workflow_step spans named after their step', () => {
    const r = workflow(mastraWorkflow());
    expect(r).toMatchObject({ workflowId: 'weatherworkflow', workflowName: 'weatherWorkflow', agentsUsed: ['planner'] });
    expect(steps(r)).toEqual([['fetch-weather', 'completed', null], ['plan-activities', 'completed', 'planner']]);
    expect(r.usage).toEqual(usage(300, 40));
  });

  it('Mastra 0.x: workflow.run over `workflow step: \'{id}\'` spans named by their step id', () => {
    const r = workflow(mastraZeroWorkflow());
    expect(r).toMatchObject({ workflowId: 'weatherworkflow', workflowName: 'weatherWorkflow', agentsUsed: ['planner'], sessionId: null });
    expect(steps(r)).toEqual([['fetch-weather', 'completed', null], ['plan-activities', 'completed', 'planner']]);
    expect(r.usage).toEqual(usage(300, 40));
    expect(r.input).toEqual({ city: 'Oslo' });
    expect(r.output).toEqual({ plan: 'Go skiing.' });
  });

  it('Google ADK JS 2.0: the top invoke_workflow (adk.node.path without a dot) is the run, under the runner\'s execute_node; execute_node steps', () => {
    const r = workflow(adkJsWorkflow());
    expect(r).toMatchObject({ workflowId: 'trip_planner', workflowName: 'trip_planner', sessionId: 'adk-s-2', agentsUsed: ['planner'] });
    expect(steps(r)).toEqual([['planner', 'completed', 'planner'], ['book', 'completed', null]]);
    expect(r.usage).toEqual(usage(600, 80));
    expect(r.usageByModel.map((g) => [g.provider, g.model])).toEqual([['gcp.gemini', 'gemini-2.5-flash']]);
  });

  it('Google ADK 2.x: invoke_workflow over invoke_node steps', () => {
    const r = workflow(adkWorkflow());
    expect(r).toMatchObject({ workflowId: 'trip_planner', sessionId: 'adk-s-2', agentsUsed: ['planner'] });
    expect(steps(r)).toEqual([['plan', 'completed', 'planner'], ['book', 'completed', null]]);
    expect(r.usage).toEqual(usage(600, 80));
    expect(r.usageByModel.map((g) => [g.provider, g.model])).toEqual([['gcp.gemini', 'gemini-2.5-flash']]);
  });

  it('Strands swarm: invoke_swarm is a workflow whose steps are its agents', () => {
    const r = workflow(strandsSwarm());
    expect(r).toMatchObject({ workflowId: 'invoke_swarm', agentsUsed: ['researcher', 'writer'] });
    expect(steps(r)).toEqual([['researcher', 'completed', 'researcher'], ['writer', 'completed', 'writer']]);
    expect(r.usage).toEqual(usage(1000, 200));
  });
});
