import { trace, context } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHostPort } from '../../src/lib/index.js';
import { dashboardQueries, loadDashboards, substituteVariables } from '../helpers/dashboards.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { inSpan, startTracing, type TestTracing } from '../helpers/otel.js';
import { startPrometheus, type PrometheusProcess } from '../helpers/prometheus.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

// How long one dashboard query may take to show series: Prometheus scrapes every second and
// a rate needs two samples.
const SERIES_TIMEOUT_MS = 15_000;

let d: TestDaemon;
let prometheus: PrometheusProcess;
let longRun: TestTracing;

beforeAll(async () => {
  d = await startTestDaemon();
  prometheus = await startPrometheus(formatHostPort(d.daemon.addresses.http));
  await sendWorkload();
}, 40_000);

afterAll(async () => {
  await prometheus?.stop();
  await longRun?.shutdown();
  await d?.stop();
});

async function chat(tracing: TestTracing, provider: string, model: string, tokens: [number, number], cost: number): Promise<void> {
  await inSpan(tracing.tracer, `chat ${model}`, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': provider,
    'gen_ai.request.model': model,
    'gen_ai.usage.input_tokens': tokens[0],
    'gen_ai.usage.output_tokens': tokens[1],
    'gen_ai.usage.cost': cost,
  }, () => undefined);
}

function agent(tracing: TestTracing, id: string, body: () => Promise<void>): Promise<void> {
  return inSpan(tracing.tracer, `invoke_agent ${id}`, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': id }, body);
}

/** Agents over both HTTP encodings, a failing run, a workflow with steps, several models, one run left running. */
async function sendWorkload(): Promise<void> {
  const proto = startTracing('http-proto', d.otlpUrl, { serviceName: 'coder-service' });
  await agent(proto, 'coder', async () => {
    await chat(proto, 'openai', 'gpt-4o', [1000, 200], 0.012);
    await chat(proto, 'openai', 'gpt-4o-mini', [300, 50], 0.0004);
  });
  const json = startTracing('http-json', d.otlpUrl, { serviceName: 'reviewer-service' });
  await agent(json, 'reviewer', async () => {
    await chat(json, 'anthropic', 'claude-3-5-sonnet', [500, 80], 0.003);
    throw new Error('review failed');
  }).catch(() => undefined);
  await inSpan(proto.tracer, 'invoke_workflow release', { 'paracle.run.kind': 'workflow', 'paracle.workflow.id': 'release' }, async () => {
    await inSpan(proto.tracer, 'step plan', { 'paracle.step.id': 'plan' }, () =>
      agent(proto, 'planner', () => chat(proto, 'openai', 'gpt-4o', [100, 20], 0.001)));
    await inSpan(proto.tracer, 'step test', { 'paracle.step.id': 'test' }, () =>
      agent(proto, 'tester', () => Promise.reject(new Error('tests failed')))).catch(() => undefined);
    await inSpan(proto.tracer, 'step review', { 'paracle.step.id': 'review', 'paracle.step.status': 'skipped' }, () => undefined);
  });
  await Promise.all([proto.shutdown(), json.shutdown()]);

  longRun = startTracing('http-proto', d.otlpUrl, { serviceName: 'long-haul-service', batch: false });
  const root = longRun.tracer.startSpan('invoke_agent long-haul', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'long-haul' } });
  longRun.tracer.startSpan('chat first', { attributes: { 'gen_ai.operation.name': 'chat' } }, trace.setSpan(context.active(), root)).end();
  await longRun.flush();
  await waitForRuns(d.runsDir, (runs) => runs.filter(isFinal).length >= 3 && runs.length >= 4);
}

/** Polls `check` until it returns true or the time is up; returns the last observation. */
async function poll<T>(observe: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await observe();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the dashboards against a real Prometheus scraping the daemon', () => {
  it.each(dashboardQueries())('$name returns series', async ({ expr }) => {
    const result = await poll(() => prometheus.query(expr), (r) => r.status === 'success' && r.series.length > 0, SERIES_TIMEOUT_MS);
    expect(result.error, expr).toBeUndefined();
    expect(result.status, expr).toBe('success');
    expect(result.series.length, expr).toBeGreaterThan(0);
  });

  it('finds values for every dashboard variable', async () => {
    for (const { dashboard } of loadDashboards()) {
      for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
        const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(substituteVariables(variable.definition!))!;
        const values = await poll(() => prometheus.labelValues(label!, selector!), (v) => v.length > 0, SERIES_TIMEOUT_MS);
        expect(values, `${dashboard.uid} $${variable.name}`).not.toEqual([]);
      }
    }
  });

  it('sees the workload in the numbers', async () => {
    const expectValue = async (expr: string, expected: number): Promise<void> => {
      const valueOf = async (): Promise<number> => {
        const { series } = await prometheus.query(expr);
        return Number((series[0] as { value: [number, string] } | undefined)?.value[1] ?? NaN);
      };
      expect(await poll(valueOf, (v) => v === expected, SERIES_TIMEOUT_MS), expr).toBe(expected);
    };
    await expectValue('sum(paracle_runs_total{status="failed"})', 1);
    await expectValue('sum(paracle_runs_total{kind="workflow", id="release"})', 1);
    await expectValue('sum(paracle_tokens_total{type="input"})', 1900);
    await expectValue('sum(paracle_workflow_steps_total{workflow="release"})', 3);
    await expectValue('sum(paracle_runs_running)', 1);
  });
});
