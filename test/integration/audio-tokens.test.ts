import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../helpers/fake-openai.js';
import type { FakeOpenAi } from '../helpers/fake-openai.js';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { scrape, sumOf } from '../helpers/metrics.js';
import { inSpan, startTracing } from '../helpers/otel.js';
import type { TestTracing } from '../helpers/otel.js';
import { waitForFinalRuns } from '../helpers/runs.js';

describe('audio tokens over real OTLP exporters: counted once, priced at their own rate', () => {
  let daemon: TestDaemon;
  let tracing: TestTracing;
  let fake: FakeOpenAi;

  beforeAll(async () => {
    daemon = await startTestDaemon();
    tracing = startTracing('http-proto', daemon.otlpUrl, { serviceName: 'voice-service' });
    // OpenAI's chat completions usage for an audio answer: 1000 in (600 audio), 500 out (400 audio).
    fake = await startFakeOpenAi('gpt-audio-2025-08-28', [
      { prompt: 1000, completion: 500, promptDetails: { cached_tokens: 0, audio_tokens: 600 }, completionDetails: { reasoning_tokens: 0, audio_tokens: 400 } },
    ]);
  });
  afterAll(async () => {
    await tracing.shutdown();
    await fake.close();
    await daemon.stop();
  });

  it('openai + OpenInference (llm.token_count.*_details.audio) and a Mastra chat span (gen_ai.usage.audio_*_tokens)', async () => {
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: tracing.provider });
    instrumentation.manuallyInstrument(OpenAI);
    const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseUrl, maxRetries: 0 });
    await inSpan(tracing.tracer, 'voice', { 'openinference.span.kind': 'AGENT', 'agent.name': 'Voice' }, async () => {
      await client.chat.completions.create({ model: 'gpt-audio', messages: [{ role: 'user', content: 'say hi' }] });
    });
    await inSpan(tracing.tracer, 'invoke_agent concierge', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'concierge' }, async () => {
      // A Mastra 1.x chat span of a Realtime call: 2000 in (1200 audio), 300 of them cached, 800 out (700 audio).
      await inSpan(tracing.tracer, 'chat gpt-realtime', {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-realtime',
        'gen_ai.usage.input_tokens': 2000, 'gen_ai.usage.output_tokens': 800, 'gen_ai.usage.cache_read.input_tokens': 300,
        'gen_ai.usage.audio_input_tokens': 1200, 'gen_ai.usage.audio_output_tokens': 700,
      }, () => undefined);
    });
    await tracing.flush();
    const runs = await waitForFinalRuns(daemon.runsDir, 2);
    const voice = runs.find((r) => r.metadata.agent_id === 'voice')?.metadata;
    // 400 text in × $2.5 + 600 audio in × $32 + 100 text out × $10 + 400 audio out × $64, per million (genai-prices 0.1.8).
    expect(voice).toMatchObject({
      provider: 'openai', model: 'gpt-audio-2025-08-28', tokens_input: 1000, tokens_output: 500, tokens_used: 1500,
      cost_usd: 0.0468, cost_source: 'estimated',
      usage_by_model: [expect.objectContaining({ input: 1000, output: 500, audio_input: 600, audio_output: 400 }) as unknown],
    });
    const concierge = runs.find((r) => r.metadata.agent_id === 'concierge')?.metadata;
    // 500 text in × $4 + 300 cached × $0.4 + 1200 audio in × $32 + 100 text out × $16 + 700 audio out × $64, per million
    // (300 cached and 1200 audio fit in 2000: none of the cache needs to be audio).
    expect(concierge).toMatchObject({ tokens_input: 2000, tokens_output: 800, tokens_used: 2800, tokens_cache_read: 300, cost_usd: 0.08692, cost_source: 'estimated' });
    const metrics = await scrape(daemon.httpUrl);
    expect(sumOf(metrics, 'paracle_tokens_total', { agent: 'voice', type: 'input' })).toBe(1000);
    expect(sumOf(metrics, 'paracle_tokens_total', { agent: 'voice', type: 'output' })).toBe(500);
    expect(sumOf(metrics, 'paracle_cost_usd_total', { agent: 'concierge' })).toBeCloseTo(0.08692, 9);
    // INTERFACE §3 names cache_read, cache_write and reasoning only: audio gets no type of its own.
    expect(sumOf(metrics, 'paracle_token_details_total', { agent: 'voice' })).toBe(0);
  });
});
