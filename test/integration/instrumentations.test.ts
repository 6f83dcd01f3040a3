import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeOpenAi } from '../helpers/fake-openai.js';
import type { FakeOpenAi } from '../helpers/fake-openai.js';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { inSpan, startTracing } from '../helpers/otel.js';
import type { TestTracing } from '../helpers/otel.js';
import { waitForFinalRuns } from '../helpers/runs.js';

const STEPS = [
  { input: 100, output: 20 },
  { input: 200, output: 30 },
  { input: 300, output: 40 },
];

/** A mock model answering with two tool calls, then text: three steps, three doGenerate spans. */
function threeStepModel(provider: string, modelId: string): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider,
    modelId,
    doGenerate: STEPS.map((u, i) => ({
      content: i < 2 ? [{ type: 'tool-call' as const, toolCallId: `call-${i}`, toolName: 'lookupOrder', input: '{"id":42}' }] : [{ type: 'text' as const, text: 'It ships tomorrow.' }],
      finishReason: { unified: i < 2 ? ('tool-calls' as const) : ('stop' as const), raw: undefined },
      usage: {
        inputTokens: { total: u.input, noCache: u.input, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: u.output, text: u.output, reasoning: undefined },
      },
      warnings: [],
    })),
  });
}

describe('real instrumentations against the daemon', () => {
  let daemon: TestDaemon;
  let tracing: TestTracing;
  let fake: FakeOpenAi;

  beforeAll(async () => {
    daemon = await startTestDaemon();
    tracing = startTracing('http-proto', daemon.otlpUrl, { serviceName: 'support-service' });
    fake = await startFakeOpenAi('gpt-4o-2024-08-06', [{ prompt: 1000, completion: 200 }]);
  });
  afterAll(async () => {
    await tracing.shutdown();
    await fake.close();
    await daemon.stop();
  });

  it('Vercel AI SDK generateText: three steps counted once, priced; an unknown model costs 0 with cost_source none', async () => {
    const lookupOrder = tool({ inputSchema: z.object({ id: z.number() }), execute: () => Promise.resolve({ status: 'shipped' }) });
    for (const [provider, modelId] of [['openai.chat', 'gpt-4o-mini'], ['mock-provider', 'mock-model-id']] as const) {
      await generateText({
        model: threeStepModel(provider, modelId),
        tools: { lookupOrder },
        stopWhen: stepCountIs(3),
        prompt: 'Where is my order 42?',
        experimental_telemetry: { isEnabled: true, functionId: 'support-agent', tracer: tracing.tracer },
      });
    }
    await tracing.flush();
    const runs = await waitForFinalRuns(daemon.runsDir, 2);
    const byModel = new Map(runs.map((r) => [r.metadata.model, r.metadata]));
    expect(byModel.get('gpt-4o-mini')).toMatchObject({
      kind: 'agent', agent_id: 'support-agent', provider: 'openai', tokens_input: 600, tokens_output: 90, tokens_used: 690,
      cost_usd: 0.000144, cost_source: 'estimated',
    });
    expect(byModel.get('mock-model-id')).toMatchObject({
      kind: 'agent', agent_id: 'support-agent', provider: 'mock-provider', tokens_used: 690, cost_usd: 0, cost_source: 'none',
    });
    expect(daemon.daemon.unpricedRuns()).toBe(1);
  });

  it('openai with OpenInference: two calls under an agent span, tokens from the calls, priced by response model', async () => {
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: tracing.provider });
    instrumentation.manuallyInstrument(OpenAI);
    const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseUrl, maxRetries: 0 });
    await inSpan(tracing.tracer, 'research', { 'openinference.span.kind': 'AGENT', 'agent.name': 'Researcher' }, async () => {
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }], temperature: 0.3 });
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'second' }], temperature: 0.3 });
    });
    await tracing.flush();
    const runs = await waitForFinalRuns(daemon.runsDir, 3);
    const run = runs.find((r) => r.metadata.agent_id === 'researcher');
    expect(run?.metadata).toMatchObject({
      kind: 'agent', agent_name: 'Researcher', provider: 'openai', model: 'gpt-4o-2024-08-06', temperature: 0.3,
      tokens_input: 2000, tokens_output: 400, cost_usd: 0.009, cost_source: 'estimated',
    });
    expect(run?.metadata.usage_counted_spans).toHaveLength(2);
  });
});
