import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayParentSpanId } from '../../src/model/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { readRunJson, waitForRuns, type StoredRun } from '../helpers/runs.js';

const AGENT = resolve('test/fixtures/sdk/agent.mjs');
let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon();
});
afterAll(async () => daemon?.stop());

/** Runs the SDK fixture as its own process (it imports the built paracle/sdk), exporting to the daemon. */
function runAgent(shape: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [AGENT, shape], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: daemon.otlpUrl, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((res) => child.once('close', (code) => res({ code, stderr })));
}

/** The final run of a trace id, once written. */
async function runOfTrace(traceId: string): Promise<StoredRun> {
  const runs = await waitForRuns(daemon.runsDir, (all) => all.some((r) => r.metadata.trace_id === traceId && r.metadata.status !== 'running'), 60_000);
  return runs.find((r) => r.metadata.trace_id === traceId)!;
}

/** Runs a shape in a trace of its own (as `TRACEPARENT` names it) and returns its run. */
async function run(shape: string, env: NodeJS.ProcessEnv = {}): Promise<StoredRun> {
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${replayParentSpanId(traceId)}-01`;
  const result = await runAgent(shape, { TRACEPARENT: traceparent, ...env });
  expect(result).toEqual({ code: 0, stderr: '' });
  return runOfTrace(traceId);
}

describe('paracle/sdk through the daemon (CONVENTIONS.md §1)', () => {
  it('maps agentRun, llmCall, usage, toolCall and artifact to one agent run', async () => {
    const agent = await run('agent');
    expect(agent.kind).toBe('agent');
    expect(agent.metadata).toMatchObject({
      agent_id: 'writer',
      agent_name: 'writer',
      status: 'completed',
      exit_code: 0,
      provider: 'openai',
      model: 'gpt-4o-mini',
      temperature: 0.2,
      tokens_used: 150,
      tokens_input: 120,
      tokens_output: 30,
      tokens_cache_read: 20,
      tokens_reasoning: 5,
      cost_usd: 0.0042,
      cost_source: 'reported',
      artifacts_count: 2,
      files_modified: 1,
      span_count: 3,
      service_name: 'sdk-test-agent',
      replay_of: null,
      error: null,
    });
    expect(await readRunJson(agent, 'input.json')).toEqual({ topic: 'otel' });
    expect(await readRunJson(agent, 'output.json')).toEqual({ draft: 'a draft', words: 2 });
    expect(await readFile(join(agent.dir, 'artifacts', 'draft.md'), 'utf8')).toBe('# Draft\n');
    expect([...(await readFile(join(agent.dir, 'artifacts', 'data.bin')))]).toEqual([0, 1, 2, 255]);
  });

  it('honours TRACEPARENT, PARACLE_REPLAY_OF and PARACLE_MODEL as a replayed agent gets them', async () => {
    const agent = await run('agent', { PARACLE_REPLAY_OF: '01HN7X8K9M2PQRSTUVWXYZ3456', PARACLE_MODEL: 'gpt-5-mini' });
    expect(agent.metadata).toMatchObject({ status: 'completed', replay_of: '01HN7X8K9M2PQRSTUVWXYZ3456', model: 'gpt-5-mini', incomplete: false });
  });

  it('maps workflowRun and step to a workflow with its steps', async () => {
    const workflow = await run('workflow');
    expect(workflow.kind).toBe('workflow');
    expect(workflow.metadata).toMatchObject({
      workflow_id: 'publish',
      status: 'completed',
      steps_total: 3,
      steps_completed: 2,
      steps_failed: 1,
      agents_used: ['writer'],
      tokens_total: 15,
      artifacts_count: 1,
      error_count: 1,
    });
    const steps = workflow.metadata.steps as { step_id: string; status: string }[];
    expect(steps.map((s) => [s.step_id, s.status])).toEqual([['draft', 'completed'], ['review', 'completed'], ['notify', 'failed']]);
    expect(await readFile(join(workflow.dir, 'steps', 'review', 'artifacts', 'review.txt'), 'utf8')).toBe('approved');
    expect(await readRunJson(workflow, 'steps/review/input.json')).toEqual({ text: 'text' });
    expect(await readRunJson(workflow, 'output.json')).toEqual({ published: true });
  });

  it('fails the run of a throwing agentRun with its message in error', async () => {
    const failed = await run('failing');
    expect(failed.metadata).toMatchObject({ status: 'failed', error: 'rate limited by the provider', exit_code: 1 });
    expect(await readRunJson(failed, 'output.json')).toBeNull();
  });

  it('never fails the agent when the daemon is unreachable: one line on stderr', async () => {
    const result = await runAgent('agent', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '2000' });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^paracle\/sdk: telemetry could not be sent: .*\n$/);
  });
});
