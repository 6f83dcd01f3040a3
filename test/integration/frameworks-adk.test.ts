import { trace } from '@opentelemetry/api';
import type * as Adk from '@google/adk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { startFakeGemini } from '../helpers/fake-gemini.js';
import type { FakeGemini, GeminiReply } from '../helpers/fake-gemini.js';
import { startTracing } from '../helpers/otel.js';
import type { TestTracing } from '../helpers/otel.js';
import { readRunJson, waitForRuns } from '../helpers/runs.js';
import type { StoredRun } from '../helpers/runs.js';

const MODEL = 'gemini-2.5-flash';
const GENERATE = `/v1beta/models/${MODEL}:generateContent`;

/** A tool call, then the answer; Gemini counts thinking apart from candidates and cache inside the prompt. */
const TOOL_THEN_ANSWER: GeminiReply[] = [
  { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], usage: { promptTokenCount: 1000, candidatesTokenCount: 20, thoughtsTokenCount: 30 } },
  { parts: [{ text: 'Sunny in Paris, 21°C.' }], usage: { promptTokenCount: 1100, candidatesTokenCount: 40, cachedContentTokenCount: 800, thoughtsTokenCount: 10 } },
];

// gemini-2.5-flash (genai-prices 0.1.8): $0.30 input, $0.03 cache read, $2.50 output (thinking included) per million tokens.
describe('Google ADK JS (@google/adk 2.0.0) against the daemon: its own spans over real OTLP, the real Gemini client on a loopback API', () => {
  let daemon: TestDaemon;
  let tracing: TestTracing;
  let adk: typeof Adk;
  let gemini: FakeGemini | undefined;
  const baseUrlBefore = process.env.GOOGLE_GEMINI_BASE_URL;

  beforeAll(async () => {
    daemon = await startTestDaemon();
    tracing = startTracing('http-json', daemon.otlpUrl, { serviceName: 'adk-service' });
    // ADK takes its tracer from the global API when its module loads, so the SDK is set up
    // first, as OTel asks of every app: ADK pins its own @opentelemetry/api copy, whose
    // tracer would stay a no-op if another copy registered the provider after the import.
    trace.setGlobalTracerProvider(tracing.provider);
    adk = await import('@google/adk');
    adk.setLogLevel(adk.LogLevel.WARN);
  }, 60_000);

  afterEach(async () => {
    await gemini?.close();
    if (baseUrlBefore === undefined) delete process.env.GOOGLE_GEMINI_BASE_URL;
    else process.env.GOOGLE_GEMINI_BASE_URL = baseUrlBefore;
  });

  afterAll(async () => {
    trace.disable();
    await tracing.shutdown();
    await daemon.stop();
  });

  /** Serves `replies` as the Gemini API for the clients made after this call. */
  async function serveGemini(replies: GeminiReply[]): Promise<FakeGemini> {
    gemini = await startFakeGemini(MODEL, replies);
    process.env.GOOGLE_GEMINI_BASE_URL = gemini.baseUrl;
    return gemini;
  }

  /** Runs `root` through an InMemoryRunner in session `sessionId`, exports, and returns the final run of that session. */
  async function runToTheStore(root: Adk.LlmAgent | Adk.Workflow, sessionId: string, text: string): Promise<StoredRun> {
    const runner = new adk.InMemoryRunner({ agent: root, appName: 'adk_app' });
    await runner.sessionService.createSession({ appName: 'adk_app', userId: 'u1', sessionId });
    for await (const event of runner.runAsync({ userId: 'u1', sessionId, newMessage: { role: 'user', parts: [{ text }] } })) {
      expect(event.errorCode).toBeUndefined();
    }
    await tracing.flush();
    const runs = await waitForRuns(daemon.runsDir, (rs) => rs.some((r) => r.metadata.session_id === sessionId && r.metadata.status !== 'running'));
    const mine = runs.filter((r) => r.metadata.session_id === sessionId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  it('an LlmAgent with a tool: one agent run, provider from the model (gcp.vertex.agent is the framework), thinking tokens in output, prompt and answer from its JSON', async () => {
    const fake = await serveGemini(TOOL_THEN_ANSWER);
    const getWeather = new adk.FunctionTool({
      name: 'get_weather', description: 'weather of a city', parameters: z.object({ city: z.string() }),
      execute: ({ city }) => ({ report: `Sunny in ${city}` }),
    });
    const agent = new adk.LlmAgent({
      name: 'weather_agent', description: 'Answers weather questions', instruction: 'Answer about weather.',
      model: new adk.Gemini({ model: MODEL, apiKey: 'test-key' }), tools: [getWeather],
    });

    const run = await runToTheStore(agent, 'adk-session-1', 'Weather in Paris?');
    expect(fake.paths).toEqual([GENERATE, GENERATE]);
    expect(run.metadata).toMatchObject({
      kind: 'agent', status: 'completed', agent_id: 'weather_agent', agent_name: 'weather_agent', service_name: 'adk-service',
      provider: 'gcp.gemini', model: MODEL, session_id: 'adk-session-1', span_count: 5,
      tokens_input: 2100, tokens_output: 100, tokens_cache_read: 800, tokens_cache_write: 0, tokens_reasoning: 40, tokens_used: 2200,
      cost_source: 'estimated', cost_usd: 0.000664,
    });
    expect(run.metadata.usage_by_model).toMatchObject([{ provider: 'gcp.gemini', model: MODEL, calls: 2 }]);
    expect(await readRunJson(run, 'input.json')).toEqual([{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }]);
    expect(await readRunJson(run, 'output.json')).toEqual({ role: 'model', parts: [{ text: 'Sunny in Paris, 21°C.' }] });
  });

  it('a Workflow (ADK 2.0) of an agent node and a function node: one workflow run of two steps, not an agent run of the agent inside', async () => {
    await serveGemini([{ parts: [{ text: 'Day 1: the Louvre.' }], usage: { promptTokenCount: 600, candidatesTokenCount: 80, cachedContentTokenCount: 200 } }]);
    const planner = new adk.LlmAgent({ name: 'planner', instruction: 'Plan a trip.', model: new adk.Gemini({ model: MODEL, apiKey: 'test-key' }) });
    const book = new adk.FunctionNode('book', (_ctx, plan) => ({ booked: true, plan }));
    const workflow = new adk.Workflow({ name: 'trip_planner', edges: [['START', planner, book]] });

    const run = await runToTheStore(workflow, 'adk-s-2', 'Plan two days in Paris');
    expect(run.metadata).toMatchObject({
      kind: 'workflow', status: 'completed', workflow_id: 'trip_planner', workflow_name: 'trip_planner', session_id: 'adk-s-2',
      steps_total: 2, steps_completed: 2, agents_used: ['planner'],
      tokens_input: 600, tokens_output: 80, tokens_cache_read: 200, tokens_reasoning: 0, tokens_total: 680,
      cost_source: 'estimated', cost_total_usd: 0.000326,
    });
    const steps = run.metadata.steps as { step_id: string; status: string; agent_id: string | null }[];
    expect(steps.map((s) => [s.step_id, s.status, s.agent_id])).toEqual([['planner', 'completed', 'planner'], ['book', 'completed', null]]);
    expect(await readRunJson(run, 'input.json')).toEqual([{ role: 'user', parts: [{ text: 'Plan two days in Paris' }] }]);
    expect(await readRunJson(run, 'output.json')).toEqual({ role: 'model', parts: [{ text: 'Day 1: the Louvre.' }] });
  });
});
