import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStoreExporter } from '../../../src/exporter/runstore/index.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssembledTrace, Span } from '../../../src/model/index.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { sumOf } from '../../helpers/metrics.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-run-metrics-');
});
let started: RunStoreExporter[] = [];
afterEach(async () => {
  await Promise.all(started.map((e) => e.shutdown()));
  started = [];
  await removeTempDir(runsDir);
});

async function setup(countedCapacity?: number, overrides = '') {
  const metrics = new Metrics({ defaultMetrics: false });
  const overridesFile = join(runsDir, '.pricing.yaml');
  await writeFile(overridesFile, overrides);
  const pricing = { overrides: overridesFile, dataFile: null };
  const exporter = new RunStoreExporter({ runsDir, unrecognized: 'agent', countedCapacity, pricing }, silentLogger(), metrics);
  await exporter.start();
  started.push(exporter);
  const scrape = async (): Promise<string> => (await metrics.exposition(false)).body;
  return { metrics, exporter, scrape };
}

function chat(b: TraceBuilder, parent: Span, startMs: number, model: string, input: number, output: number): Span {
  return b.span(`chat ${model}`, {
    parent,
    startMs,
    endMs: startMs + 10,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
    },
  });
}

function agentTrace(traceId: string) {
  const b = new TraceBuilder({ traceId });
  const root = b.span('invoke_agent coder', { endMs: 1500, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' } });
  const first = chat(b, root, 10, 'gpt-4o', 100, 10);
  return { b, root, first };
}

function late(traceId: string, spans: Span[]): AssembledTrace {
  return { traceId, phase: 'complete', spans, logs: [], late: true };
}

const CODER = { kind: 'agent', id: 'coder' };
const GPT4O = { agent: 'coder', workflow: '', provider: 'openai', model: 'gpt-4o' };

describe('run metrics of the run-store exporter', () => {
  it('counts a run and its tokens once when final, shows it running before, and adds a late span\'s tokens once', async () => {
    const { exporter, scrape } = await setup();
    const { b, root, first } = agentTrace('11111111111111111111111111111111');
    await exporter.consumeTrace(b.trace('started', [first]));
    let body = await scrape();
    // Before the root arrives the agent is not known yet (the run is named after its service).
    expect(sumOf(body, 'paracle_runs_running', { kind: 'agent', id: 'test-service' })).toBe(1);
    expect(sumOf(body, 'paracle_runs_total')).toBe(0);
    expect(sumOf(body, 'paracle_tokens_total')).toBe(0);

    await exporter.consumeTrace(b.trace('complete', [root, first]));
    body = await scrape();
    expect(sumOf(body, 'paracle_runs_running')).toBe(0);
    expect(sumOf(body, 'paracle_runs_total', { ...CODER, status: 'completed' })).toBe(1);
    expect(sumOf(body, 'paracle_run_duration_seconds_sum', CODER)).toBe(1.5);
    expect(sumOf(body, 'paracle_tokens_total', { ...GPT4O, type: 'input' })).toBe(100);

    const extra = chat(b, root, 500, 'gpt-4o-mini', 7, 3);
    await exporter.consumeTrace(late(b.traceId, [extra]));
    await exporter.consumeTrace(late(b.traceId, [extra]));
    body = await scrape();
    expect(sumOf(body, 'paracle_runs_total')).toBe(1);
    expect(sumOf(body, 'paracle_run_duration_seconds_count')).toBe(1);
    expect(sumOf(body, 'paracle_tokens_total', { ...GPT4O, type: 'input' })).toBe(100);
    expect(sumOf(body, 'paracle_tokens_total', { ...GPT4O, model: 'gpt-4o-mini', type: 'input' })).toBe(7);
    expect(sumOf(body, 'paracle_tokens_total', { type: 'output' })).toBe(13);
  });

  it('falls back to the stored metadata for a trace it no longer remembers', async () => {
    const { exporter, scrape } = await setup(1);
    const a = agentTrace('22222222222222222222222222222222');
    await exporter.consumeTrace(a.b.trace('complete'));
    const other = agentTrace('33333333333333333333333333333333');
    await exporter.consumeTrace(other.b.trace('complete'));

    await exporter.consumeTrace(late(a.b.traceId, [chat(a.b, a.root, 600, 'gpt-4o', 50, 5)]));
    const body = await scrape();
    expect(sumOf(body, 'paracle_runs_total', CODER)).toBe(2);
    expect(sumOf(body, 'paracle_tokens_total', { ...GPT4O, type: 'input' })).toBe(100 + 100 + 50);
  });

  it('counts a workflow\'s steps once, when the workflow becomes final', async () => {
    const { exporter, scrape } = await setup();
    const b = new TraceBuilder({ traceId: '44444444444444444444444444444444' });
    const root = b.span('invoke_workflow release', { endMs: 3000, attributes: { 'paracle.run.kind': 'workflow', 'paracle.workflow.id': 'release' } });
    const plan = b.span('step plan', { parent: root, endMs: 1000, attributes: { 'paracle.step.id': 'plan' } });
    const test = b.span('step test', { parent: root, startMs: 1000, endMs: 2000, status: 'error', attributes: { 'paracle.step.id': 'test' } });
    await exporter.consumeTrace(b.trace('started', [plan]));
    expect(sumOf(await scrape(), 'paracle_workflow_steps_total')).toBe(0);
    await exporter.consumeTrace(b.trace('complete', [root, plan, test]));
    const agentInStep = b.span('invoke_agent tester', { parent: test, startMs: 1100, endMs: 1200, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'tester' } });
    await exporter.consumeTrace(late(b.traceId, [agentInStep]));
    const body = await scrape();
    expect(sumOf(body, 'paracle_runs_total', { kind: 'workflow', id: 'release' })).toBe(1);
    expect(sumOf(body, 'paracle_workflow_steps_total', { workflow: 'release', step: 'plan', status: 'completed' })).toBe(1);
    expect(sumOf(body, 'paracle_workflow_steps_total', { workflow: 'release', step: 'test', status: 'failed' })).toBe(1);
    expect(sumOf(body, 'paracle_step_duration_seconds_sum', { workflow: 'release' })).toBe(2);
  });

  it('adds estimated cost to paracle_cost_usd_total, split over the calls by their tokens', async () => {
    const { exporter, scrape } = await setup(undefined, 'overrides:\n  - { provider: openai, model: gpt-4o, input_mtok: 1, output_mtok: 2 }\n');
    const { b, root, first } = agentTrace('33333333333333333333333333333333');
    const second = chat(b, root, 100, 'gpt-4o', 300, 30);
    await exporter.consumeTrace(b.trace('complete', [root, first, second]));
    // 400 input tokens at $1/M and 40 output tokens at $2/M.
    expect(sumOf(await scrape(), 'paracle_cost_usd_total', GPT4O)).toBeCloseTo(0.00048, 10);
  });
});
