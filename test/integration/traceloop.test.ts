import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../helpers/fake-openai.js';
import type { FakeOpenAi } from '../helpers/fake-openai.js';
import { startTestDaemon } from '../helpers/daemon.js';
import type { TestDaemon } from '../helpers/daemon.js';
import { waitForFinalRuns } from '../helpers/runs.js';

type OpenAiModule = NonNullable<NonNullable<Parameters<typeof traceloop.initialize>[0]>['instrumentModules']>['openAI'];

/** The fields of a step in `metadata.json` this test reads. */
interface StepMeta {
  step_id: string;
  name: string;
  status: string;
  agent_id: string | null;
}

// Its own file: the Traceloop SDK registers a global tracer provider once per process.
describe("Traceloop's node-server-sdk against the daemon", () => {
  let daemon: TestDaemon;
  let fake: FakeOpenAi;

  beforeAll(async () => {
    daemon = await startTestDaemon();
    fake = await startFakeOpenAi('gpt-4o-2024-08-06', [{ prompt: 1000, completion: 200 }]);
    // Offline: the daemon is the base URL (no API key, no prompt sync) and spans go out one by one.
    traceloop.initialize({
      appName: 'release-bot',
      baseUrl: daemon.otlpUrl,
      disableBatch: true,
      traceloopSyncEnabled: false,
      silenceInitializationMessage: true,
      // Its types name openai's CommonJS declarations; this ESM file gets the ESM ones of the same class.
      instrumentModules: { openAI: OpenAI as unknown as OpenAiModule },
    });
  });
  afterAll(async () => {
    await fake.close();
    await daemon.stop();
  });

  it('withWorkflow over two tasks and an agent: a workflow with steps, tokens counted once, priced', async () => {
    const client = new OpenAI({ apiKey: 'test-key', baseURL: fake.baseUrl, maxRetries: 0 });
    const ask = (content: string) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    await traceloop.withWorkflow({ name: 'release_notes' }, async () => {
      await traceloop.withTask({ name: 'collect_changes' }, () => ask('collect'));
      await traceloop.withAgent({ name: 'writer' }, () => ask('write'));
      await traceloop.withTask({ name: 'publish' }, () => Promise.resolve('ok'));
    });
    await traceloop.forceFlush();
    const [run] = await waitForFinalRuns(daemon.runsDir, 1);
    expect(run?.metadata).toMatchObject({
      kind: 'workflow', workflow_id: 'release_notes', workflow_name: 'release_notes',
      tokens_input: 2000, tokens_output: 400, tokens_total: 2400, cost_total_usd: 0.009, cost_source: 'estimated',
      agents_used: ['writer'], steps_total: 3, steps_completed: 3, steps_failed: 0, error_count: 0,
      usage_by_model: [{ provider: 'openai', model: 'gpt-4o-2024-08-06', calls: 2, input: 2000, output: 400, estimated_cost_usd: 0.009 }],
    });
    expect(run?.metadata.usage_counted_spans).toHaveLength(2);
    expect((run?.metadata.steps as StepMeta[]).map((s) => [s.step_id, s.name, s.status, s.agent_id])).toEqual([
      ['collect_changes', 'collect_changes.task', 'completed', null],
      ['writer', 'writer.agent', 'completed', 'writer'],
      ['publish', 'publish.task', 'completed', null],
    ]);
  });
});
