import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { createTool } from '@mastra/core/tools';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { OtelExporter } from '@mastra/otel-exporter';
import { MockLanguageModelV2 } from 'ai-v5/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { readRunJson, waitForRuns } from '../helpers/runs.js';
import type { StoredRun } from '../helpers/runs.js';

/** The usage of one model call, as the AI SDK v5 reports it (input includes the cached part). */
const USAGES = [
  { inputTokens: 400, outputTokens: 30, totalTokens: 430, cachedInputTokens: 100, reasoningTokens: 10 },
  { inputTokens: 500, outputTokens: 40, totalTokens: 540, cachedInputTokens: 300, reasoningTokens: 10 },
];

/**
 * An AI SDK v5 model from `ai/test` answering as gpt-4o-mini would through `@ai-sdk/openai`
 * (provider id `openai.chat`): odd calls ask for the weather tool, even ones answer.
 */
function scriptedModel(): MockLanguageModelV2 {
  let calls = 0;
  return new MockLanguageModelV2({
    provider: 'openai.chat',
    modelId: 'gpt-4o-mini',
    doGenerate: () => {
      const toolTurn = calls % 2 === 0;
      const usage = USAGES[calls % 2]!;
      calls++;
      return Promise.resolve({
        content: toolTurn
          ? [{ type: 'tool-call', toolCallId: `call_${calls}`, toolName: 'getWeather', input: JSON.stringify({ city: 'Oslo' }) }]
          : [{ type: 'text', text: 'Cold and clear in Oslo.' }],
        finishReason: toolTurn ? 'tool-calls' : 'stop',
        usage,
        response: { id: `resp-${calls}`, modelId: 'gpt-4o-mini-2024-07-18', timestamp: new Date(0) },
        warnings: [],
      });
    },
  });
}

// gpt-4o-mini: $0.15 input, $0.075 cache read, $0.60 output per million tokens.
describe('Mastra 0.x (@mastra/core 0.24.9 + @mastra/otel-exporter 0.3.3) against the daemon over real OTLP, with an ai/test model', () => {
  let daemon: TestDaemon;

  beforeAll(async () => {
    daemon = await startTestDaemon();
  });

  afterAll(async () => {
    await daemon.stop();
  });

  /** A Mastra app as its docs set one up: a weather agent with a tool, a workflow, AI tracing exported over OTLP/HTTP protobuf to the daemon. */
  function app() {
    const getWeather = createTool({
      id: 'getWeather', description: 'weather of a city', inputSchema: z.object({ city: z.string() }),
      execute: ({ context }) => Promise.resolve({ report: `Cold in ${context.city}` }),
    });
    const weatherAgent = new Agent({ name: 'Weather Agent', instructions: 'You report weather.', model: scriptedModel(), tools: { getWeather } });
    const fetchWeather = createStep({
      id: 'fetch-weather', inputSchema: z.object({ city: z.string() }), outputSchema: z.object({ report: z.string() }),
      execute: ({ inputData }) => Promise.resolve({ report: `Cold in ${inputData.city}` }),
    });
    const planActivities = createStep({
      id: 'plan-activities', inputSchema: z.object({ report: z.string() }), outputSchema: z.object({ plan: z.string() }),
      execute: async ({ inputData, mastra }) => ({ plan: (await mastra.getAgent('weatherAgent').generate(`Plan a day: ${inputData.report}`)).text }),
    });
    const weatherWorkflow = createWorkflow({ id: 'weatherWorkflow', inputSchema: z.object({ city: z.string() }), outputSchema: z.object({ plan: z.string() }) })
      .then(fetchWeather).then(planActivities).commit();
    const exporter = new OtelExporter({ provider: { custom: { endpoint: `${daemon.otlpUrl}/v1/traces`, protocol: 'http/protobuf' } } });
    return new Mastra({
      agents: { weatherAgent }, workflows: { weatherWorkflow },
      telemetry: { enabled: false }, // the deprecated pre-AI-tracing telemetry; AI tracing is what exports here
      observability: { configs: { otel: { serviceName: 'mastra-app', exporters: [exporter] } } },
    });
  }

  /**
   * Waits for the one final run of `kind` in the store that `match` picks. The exporter loads
   * its OTLP exporter on the first ended span; spans that end before that load is done miss
   * `shutdown()`'s flush and leave on its 5 s batch timer, so the wait allows for that.
   */
  async function finalRun(kind: StoredRun['kind'], match: (r: StoredRun) => boolean): Promise<StoredRun> {
    const pick = (rs: StoredRun[]) => rs.filter((r) => r.kind === kind && r.metadata.status !== 'running' && match(r));
    const [run, ...more] = pick(await waitForRuns(daemon.runsDir, (rs) => pick(rs).length > 0, 30_000));
    expect(more).toEqual([]);
    return run!;
  }

  it('an agent with a tool: one agent run, tokens from the one chat span over its two model steps, openai.chat is provider openai, the memory thread is the session', async () => {
    const mastra = app();
    const result = await mastra.getAgent('weatherAgent').generate('Weather in Oslo?', { threadId: 'mastra-thread-2', resourceId: 'user-1' });
    expect(result.text).toBe('Cold and clear in Oslo.');
    await mastra.shutdown(); // flushes the exporter's batch processor once it is loaded

    const run = await finalRun('agent', (r) => r.metadata.session_id === 'mastra-thread-2');
    expect(run.metadata).toMatchObject({
      kind: 'agent', status: 'completed', service_name: 'mastra-app',
      // 0.x exports Agent#id, which defaults to the agent's name; gen_ai.agent.id is taken as the emitter wrote it.
      agent_id: 'Weather Agent', agent_name: 'Weather Agent',
      provider: 'openai', model: 'gpt-4o-mini', session_id: 'mastra-thread-2',
      tokens_input: 900, tokens_output: 70, tokens_cache_read: 400, tokens_cache_write: 0, tokens_reasoning: 20, tokens_used: 970,
      cost_source: 'estimated', cost_usd: 0.000147,
    });
    expect(run.metadata.usage_by_model).toMatchObject([{ provider: 'openai', model: 'gpt-4o-mini', calls: 1, input: 900, output: 70 }]);
    expect(await readRunJson(run, 'input.json')).toEqual({ text: 'Weather in Oslo?' });
    expect(await readRunJson(run, 'output.json')).toEqual({ text: 'Cold and clear in Oslo.', files: [] });
  }, 60_000);

  it('a workflow of two steps, the second calling the agent: one workflow run (workflow.run -> workflow step spans), steps named by their ids, the agent counted once', async () => {
    const mastra = app();
    const workflowRun = await mastra.getWorkflow('weatherWorkflow').createRunAsync();
    const result = await workflowRun.start({ inputData: { city: 'Oslo' } });
    expect(result.status).toBe('success');
    await mastra.shutdown();

    const run = await finalRun('workflow', () => true);
    expect(run.metadata).toMatchObject({
      kind: 'workflow', status: 'completed', service_name: 'mastra-app', workflow_id: 'weatherworkflow', workflow_name: 'weatherWorkflow',
      steps_total: 2, steps_completed: 2, agents_used: ['Weather Agent'], session_id: null,
      tokens_input: 900, tokens_output: 70, tokens_cache_read: 400, tokens_cache_write: 0, tokens_reasoning: 20, tokens_total: 970,
      cost_source: 'estimated', cost_total_usd: 0.000147,
    });
    const steps = run.metadata.steps as { step_id: string; status: string; agent_id: string | null }[];
    expect(steps.map((s) => [s.step_id, s.status, s.agent_id])).toEqual([['fetch-weather', 'completed', null], ['plan-activities', 'completed', 'Weather Agent']]);
    expect(await readRunJson(run, 'input.json')).toEqual({ city: 'Oslo' });
    expect(await readRunJson(run, 'output.json')).toEqual({ plan: 'Cold and clear in Oslo.' });
    expect(await readRunJson(run, 'steps/fetch-weather/output.json')).toEqual({ report: 'Cold in Oslo' });
  }, 60_000);
});
