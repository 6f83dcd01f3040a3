import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import { OpenAIAgentsInstrumentation } from '@arizeai/openinference-instrumentation-openai-agents';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { BaseChatModel, type BaseChatModelCallOptions } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { tool as langchainTool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import * as agents from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { startTracing } from '../helpers/otel.js';
import type { TestTracing } from '../helpers/otel.js';
import { readRunJson, waitForFinalRuns } from '../helpers/runs.js';

/**
 * A chat model answering from a script, standing in for ChatOpenAI: LangChain's run metadata
 * names its provider and model the way the real class does (`ls_provider`, `ls_model_name`).
 */
class ScriptedChatOpenAI extends BaseChatModel {
  constructor(private readonly replies: AIMessage[]) {
    super({});
  }

  _llmType(): string {
    return 'openai';
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' };
  }

  override bindTools(): this {
    return this;
  }

  async _generate(_messages: BaseMessage[], _options: BaseChatModelCallOptions): Promise<ChatResult> {
    const message = this.replies.shift();
    if (message === undefined) throw new Error('no scripted reply left');
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }
}

/** An OpenAI chat completions endpoint on 127.0.0.1: a tool call, then an answer, with cache and reasoning counts. */
async function startChatCompletions(): Promise<{ baseUrl: string; server: Server }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      const toolCall = calls % 2 === 1;
      const message = toolCall
        ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${calls}`, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }
        : { role: 'assistant', content: 'Sunny in Paris.' };
      const body = {
        id: `chatcmpl-${calls}`, object: 'chat.completion', created: 1767695400, model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, finish_reason: toolCall ? 'tool_calls' : 'stop', message }],
        usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240, prompt_tokens_details: { cached_tokens: 1000 }, completion_tokens_details: { reasoning_tokens: 10 } },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

// gpt-4o-mini: $0.15 input, $0.075 cache read, $0.60 output per million tokens.
describe('real agent frameworks against the daemon (FRAMEWORKS-2026 §3)', () => {
  let daemon: TestDaemon;
  let tracing: TestTracing;

  beforeAll(async () => {
    daemon = await startTestDaemon();
    tracing = startTracing('http-proto', daemon.otlpUrl, { serviceName: 'weather-service' });
  });
  afterAll(async () => {
    await tracing.shutdown();
    await daemon.stop();
  });

  it('LangGraph createReactAgent through OpenInference: a workflow of node steps, provider from ls_provider, thread_id as session', async () => {
    const instrumentation = new LangChainInstrumentation({ tracerProvider: tracing.provider });
    instrumentation.manuallyInstrument(CallbackManagerModule);
    const model = new ScriptedChatOpenAI([
      new AIMessage({ content: '', tool_calls: [{ name: 'get_weather', args: { city: 'Paris' }, id: 'call_1' }], usage_metadata: { input_tokens: 1200, output_tokens: 40, total_tokens: 1240, input_token_details: { cache_read: 1000 } } }),
      new AIMessage({ content: 'Sunny in Paris.', usage_metadata: { input_tokens: 1300, output_tokens: 60, total_tokens: 1360, input_token_details: { cache_read: 1100 }, output_token_details: { reasoning: 20 } } }),
    ]);
    const getWeather = langchainTool(({ city }: { city: string }) => Promise.resolve(`Sunny in ${city}`), { name: 'get_weather', description: 'weather of a city', schema: z.object({ city: z.string() }) });
    const graph = createReactAgent({ llm: model, tools: [getWeather], name: 'weather_agent' });
    await graph.invoke({ messages: [{ role: 'user', content: 'Weather in Paris?' }] }, { configurable: { thread_id: 'thread-42' } });
    instrumentation.disable();
    await tracing.flush();
    const [run] = (await waitForFinalRuns(daemon.runsDir, 1)).filter((r) => r.metadata.workflow_id === 'weather_agent');
    expect(run?.metadata).toMatchObject({
      kind: 'workflow', workflow_name: 'weather_agent', session_id: 'thread-42', steps_total: 3,
      tokens_input: 2500, tokens_output: 100, tokens_cache_read: 2100, tokens_reasoning: 20, tokens_total: 2600,
      cost_source: 'estimated', cost_total_usd: 0.0002775,
    });
    expect((run?.metadata.steps as { step_id: string }[]).map((s) => s.step_id)).toEqual(['agent', 'tools', 'agent-2']);
    expect(run?.metadata.usage_by_model).toMatchObject([{ provider: 'openai', model: 'gpt-4o-mini', calls: 2 }]);
    expect(await readRunJson(run!, 'input.json')).toEqual({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(JSON.stringify(await readRunJson(run!, 'output.json'))).toContain('Sunny in Paris.');
  });

  it('OpenAI Agents SDK through its OpenInference bridge: the agent span names the agent, tokens from the generations only', async () => {
    const endpoint = await startChatCompletions();
    try {
      const instrumentation = new OpenAIAgentsInstrumentation({ tracerProvider: tracing.provider });
      instrumentation.manuallyInstrument(agents);
      agents.setTracingDisabled(false); // the SDK turns tracing off when NODE_ENV is `test`
      const provider = new agents.OpenAIProvider({ apiKey: 'test-key', baseURL: endpoint.baseUrl, useResponses: false });
      const getWeather = agents.tool({
        name: 'get_weather', description: 'weather of a city', strict: true,
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => Promise.resolve(`Sunny in ${city}`),
      });
      const agent = new agents.Agent({ name: 'Weather Agent', instructions: 'Answer about weather.', model: await provider.getModel('gpt-4o-mini'), tools: [getWeather] });
      const result = await agents.run(agent, 'Weather in Paris?');
      expect(result.finalOutput).toBe('Sunny in Paris.');
      await agents.getGlobalTraceProvider().forceFlush();
      await tracing.flush();
      const runs = await waitForFinalRuns(daemon.runsDir, 2);
      const run = runs.find((r) => r.metadata.agent_id === 'weather-agent');
      expect(run?.metadata).toMatchObject({
        kind: 'agent', agent_name: 'Weather Agent', provider: 'openai', model: 'gpt-4o-mini',
        tokens_input: 2400, tokens_output: 80, tokens_cache_read: 2000, tokens_reasoning: 20, tokens_used: 2480,
        cost_source: 'estimated', cost_usd: 0.000258, session_id: null,
      });
      expect(await readRunJson(run!, 'input.json')).toEqual([{ content: 'Answer about weather.', role: 'system' }, { role: 'user', content: 'Weather in Paris?' }]);
      expect(await readRunJson(run!, 'output.json')).toEqual({ text: 'Sunny in Paris.' });
      instrumentation.disable();
    } finally {
      await new Promise((resolve) => endpoint.server.close(resolve));
    }
  });
});
