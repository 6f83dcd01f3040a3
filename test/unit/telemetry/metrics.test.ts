import { describe, expect, it } from 'vitest';
import { Metrics, OTHER_LABEL, type RunFinished } from '../../../src/telemetry/index.js';
import { parseSamples, promtoolCheckMetrics, sumOf } from '../../helpers/metrics.js';

const text = async (metrics: Metrics): Promise<string> => (await metrics.exposition(false)).body;

function finished(overrides: Partial<RunFinished> = {}): RunFinished {
  return { kind: 'agent', id: 'coder', runId: '01HN7X8K9M2PQRSTUVWXYZ3456', traceId: 'ab', status: 'completed', durationSeconds: 2, steps: [], ...overrides };
}

describe('Metrics', () => {
  it('exposes every metric of INTERFACE.md §3 with its type, and process metrics', async () => {
    const metrics = new Metrics();
    metrics.runFinished(finished({ kind: 'workflow', id: 'release', steps: [{ stepId: 'plan', status: 'completed', durationSeconds: 1 }] }));
    metrics.usageAdded([{ agent: 'coder', workflow: '', provider: 'openai', model: 'gpt-4o', inputTokens: 5, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0.1 }]);
    metrics.observeRunsRunning(() => [{ kind: 'agent', id: 'coder' }]);
    metrics.observeStoreSize(() => Promise.resolve({ runs: { live: { agent: 1, workflow: 2 }, archive: { agent: 0, workflow: 0 } }, bytes: { live: 10, archive: 0 } }));
    const body = await text(metrics);
    const types = new Map([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.fromEntries([...types].filter(([name]) => name!.startsWith('paracle_')))).toEqual({
      paracle_runs_total: 'counter',
      paracle_run_duration_seconds: 'histogram',
      paracle_runs_running: 'gauge',
      paracle_tokens_total: 'counter',
      paracle_token_details_total: 'counter',
      paracle_cost_usd_total: 'counter',
      paracle_workflow_steps_total: 'counter',
      paracle_step_duration_seconds: 'histogram',
      paracle_received_spans_total: 'counter',
      paracle_received_log_records_total: 'counter',
      paracle_traces_in_flight: 'gauge',
      paracle_materialize_duration_seconds: 'histogram',
      paracle_maintenance_runs_total: 'counter',
      paracle_maintenance_duration_seconds: 'histogram',
      paracle_redactions_total: 'counter',
      paracle_store_runs: 'gauge',
      paracle_store_bytes: 'gauge',
      paracle_truncations_total: 'counter',
      paracle_auth_failures_total: 'counter',
    });
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect([...types.keys()].filter((n) => n!.startsWith('nodejs_active_') && n!.endsWith('_total'))).toEqual([]);
  });

  it('labels runs, tokens, cost and steps as the interface says', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.runFinished(finished({ status: 'failed', durationSeconds: 42 }));
    metrics.runFinished(finished({ kind: 'workflow', id: 'release', steps: [
      { stepId: 'plan', status: 'completed', durationSeconds: 1.5 },
      { stepId: 'review', status: 'skipped', durationSeconds: null },
    ] }));
    metrics.usageAdded([{ agent: 'coder', workflow: 'release', provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 20, cacheReadTokens: 60, cacheWriteTokens: 10, reasoningTokens: 5, costUsd: 0.25 }]);
    const body = await text(metrics);
    expect(sumOf(body, 'paracle_runs_total', { kind: 'agent', id: 'coder', status: 'failed' })).toBe(1);
    expect(sumOf(body, 'paracle_run_duration_seconds_sum', { kind: 'agent', id: 'coder', status: 'failed' })).toBe(42);
    expect(sumOf(body, 'paracle_run_duration_seconds_bucket', { id: 'coder', le: '30' })).toBe(0);
    expect(sumOf(body, 'paracle_run_duration_seconds_bucket', { id: 'coder', le: '60' })).toBe(1);
    expect(sumOf(body, 'paracle_workflow_steps_total', { workflow: 'release', step: 'review', status: 'skipped' })).toBe(1);
    expect(sumOf(body, 'paracle_step_duration_seconds_count', { workflow: 'release' })).toBe(1);
    const usage = { agent: 'coder', workflow: 'release', provider: 'openai', model: 'gpt-4o' };
    expect(sumOf(body, 'paracle_tokens_total', { ...usage, type: 'input' })).toBe(100);
    expect(sumOf(body, 'paracle_tokens_total', { ...usage, type: 'output' })).toBe(20);
    expect(sumOf(body, 'paracle_tokens_total', usage)).toBe(120);
    expect(sumOf(body, 'paracle_token_details_total', { ...usage, type: 'cache_read' })).toBe(60);
    expect(sumOf(body, 'paracle_token_details_total', { ...usage, type: 'cache_write' })).toBe(10);
    expect(sumOf(body, 'paracle_token_details_total', { ...usage, type: 'reasoning' })).toBe(5);
    expect(sumOf(body, 'paracle_cost_usd_total', usage)).toBe(0.25);
  });

  it('reports ids past metrics.max_ids as "other", per label', async () => {
    const metrics = new Metrics({ defaultMetrics: false, maxIds: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'a']) metrics.runFinished(finished({ id }));
    for (const model of ['m1', 'm2', 'm3']) {
      metrics.usageAdded([{ agent: 'a', workflow: '', provider: 'p', model, inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0 }]);
    }
    const samples = parseSamples(await text(metrics));
    const ids = samples.filter((s) => s.name === 'paracle_runs_total').map((s) => [s.labels.id, s.value]);
    expect(ids).toEqual([['a', 2], ['b', 1], [OTHER_LABEL, 2]]);
    const models = samples.filter((s) => s.name === 'paracle_tokens_total').map((s) => s.labels.model);
    expect(models).toEqual(['m1', 'm2', OTHER_LABEL]);
  });

  it('computes the running gauge on scrape and keeps ids seen before at 0', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let running = [{ kind: 'agent' as const, id: 'coder' }, { kind: 'agent' as const, id: 'coder' }];
    metrics.observeRunsRunning(() => running);
    expect(sumOf(await text(metrics), 'paracle_runs_running', { kind: 'agent', id: 'coder' })).toBe(2);
    running = [];
    const samples = parseSamples(await text(metrics)).filter((s) => s.name === 'paracle_runs_running');
    expect(samples).toEqual([{ name: 'paracle_runs_running', labels: { kind: 'agent', id: 'coder' }, value: 0 }]);
  });

  it('starts ingest and maintenance series at 0 and counts maintenance runs', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.maintenanceJobRan('retention', 'error', 3);
    const body = await text(metrics);
    expect(parseSamples(body).filter((s) => s.name === 'paracle_received_log_records_total')).toHaveLength(9);
    expect(sumOf(body, 'paracle_received_spans_total', { protocol: 'grpc', outcome: 'dropped' })).toBe(0);
    expect(sumOf(body, 'paracle_maintenance_runs_total', { job: 'retention', outcome: 'error' })).toBe(1);
    expect(sumOf(body, 'paracle_maintenance_runs_total', { job: 'archival', outcome: 'ok' })).toBe(0);
    expect(sumOf(body, 'paracle_maintenance_duration_seconds_count', { job: 'retention' })).toBe(1);
  });

  it('renders OpenMetrics when asked', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { contentType, body } = await metrics.exposition(true);
    expect(contentType).toMatch(/^application\/openmetrics-text/);
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
    expect((await metrics.exposition(false)).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('passes promtool check metrics with every metric populated', async () => {
    const metrics = new Metrics();
    metrics.runFinished(finished({ kind: 'workflow', id: 'release', steps: [{ stepId: 'plan', status: 'failed', durationSeconds: 1 }] }));
    metrics.usageAdded([{ agent: '', workflow: 'release', provider: 'anthropic', model: 'claude', inputTokens: 3, outputTokens: 4, cacheReadTokens: 1, cacheWriteTokens: 1, reasoningTokens: 1, costUsd: 0.5 }]);
    metrics.materialized('agent', 0.01);
    metrics.spansReceived('http_json', 'accepted', 3);
    metrics.logRecordsReceived('grpc', 'rejected', 1);
    const result = await promtoolCheckMetrics(await text(metrics));
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('serves each format correctly whatever was served before (prom-client renames counters in place)', async () => {
    const metrics = new Metrics();
    metrics.spansReceived('grpc', 'accepted', 2);
    metrics.truncated({ attribute_count: 3 });
    const first = await text(metrics);
    const openMetrics = (await metrics.exposition(true)).body;
    const after = await text(metrics);
    expect(after).toContain('\nprocess_cpu_user_seconds_total ');
    expect(after).toContain('\nparacle_truncations_total{limit="attribute_count"} 3\n');
    const result = await promtoolCheckMetrics(after);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
    // The same series both ways, and OpenMetrics' own shape: counter families without `_total`, `# EOF` last.
    const series = (body: string): string[] => parseSamples(body).map((s) => `${s.name}${JSON.stringify(s.labels)}`)
      .filter((name) => !name.startsWith('process_') && !name.startsWith('nodejs_')).sort();
    expect(series(openMetrics)).toEqual(series(first));
    expect(openMetrics.endsWith('\n# EOF\n')).toBe(true);
    expect(openMetrics).toContain('\n# TYPE paracle_truncations counter\n');
    expect((await metrics.exposition(true)).body).toContain('\n# TYPE paracle_received_spans counter\n');
    expect((await promtoolCheckMetrics(await text(metrics))).code).toBe(0);
  });
});
