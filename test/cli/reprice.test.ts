import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AgentRunRecord } from '../../src/model/index.js';
import { createPriceBook, priceUsage } from '../../src/pricing/index.js';
import { newRunId, writeRun } from '../../src/store/index.js';
import { makeTempDir, removeTempDir, runCli } from '../helpers/daemon.js';
import { agentRecord, START_MS } from '../unit/store/records.js';

const USAGE = { input: 1800, output: 650, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 };

/** An agent run priced as the daemon prices it with the bundled data (gpt-4o: $0.011). */
function estimatedRun(): AgentRunRecord {
  const group = { provider: 'openai', model: 'gpt-4o-2024-08-06', usage: USAGE, calls: 2, reportedCostUsd: null, estimatedCostUsd: null };
  const cost = priceUsage([group], createPriceBook([], 'genai-prices@test'), new Date(START_MS));
  return agentRecord({ usage: USAGE, costUsd: cost.costUsd, costSource: cost.costSource, usageByModel: cost.usageByModel, priceBookVersion: cost.priceBookVersion });
}

describe('paracle runs reprice', () => {
  let dir: string;
  let runsDir: string;
  let env: NodeJS.ProcessEnv;
  const estimatedId = newRunId(START_MS);
  const reportedId = newRunId(START_MS + 1000);
  const metadataOf = (id: string): Promise<string> => readFile(join(runsDir, 'agents', id, 'metadata.yaml'), 'utf8');

  beforeAll(async () => {
    dir = await makeTempDir();
    runsDir = join(dir, 'runs');
    const overrides = join(dir, 'pricing.yaml');
    await writeFile(overrides, 'overrides:\n  - provider: openai\n    model: "gpt-4o*"\n    input_mtok: 1\n    output_mtok: 2\n');
    await writeFile(join(dir, 'paracle.yaml'), `paracle_config:\n  pricing:\n    overrides: ${JSON.stringify(overrides)}\n`);
    env = { PARACLE_CONFIG: join(dir, 'paracle.yaml') };
    await writeRun(runsDir, { runId: estimatedId, record: estimatedRun(), traceJson: '{"resourceSpans":[]}' });
    await writeRun(runsDir, { runId: reportedId, record: agentRecord({ startedAtMs: START_MS + 1000 }), traceJson: '{"resourceSpans":[]}' });
  });
  afterAll(() => removeTempDir(dir));

  it('--dry-run reports the change and writes nothing', async () => {
    const before = await metadataOf(estimatedId);
    const result = await runCli(['runs', 'reprice', '--dry-run', '--runs-dir', runsDir, '--json'], env);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { examined: number; changed: { run_id: string; cost_before: number; cost_after: number }[] };
    expect(body.examined).toBe(2);
    expect(body.changed).toEqual([{ run_id: estimatedId, kind: 'agent', cost_before: 0.011, cost_after: 0.0031, cost_source: 'estimated' }]);
    expect(await metadataOf(estimatedId)).toBe(before);
  });

  it('rewrites estimated costs with a changed override and never touches reported ones', async () => {
    const reportedBefore = await metadataOf(reportedId);
    // Build the index first, with the old figures.
    expect((await runCli(['runs', 'list', '--runs-dir', runsDir], env)).code).toBe(0);
    const result = await runCli(['runs', 'reprice', '--runs-dir', runsDir], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 run(s) examined, 1 changed');
    const metadata = parse(await metadataOf(estimatedId)) as Record<string, unknown>;
    // 1800 × $1 + 650 × $2 per million
    expect(metadata.cost_usd).toBe(0.0031);
    expect(metadata.cost_source).toBe('estimated');
    expect(metadata.price_book_version).toMatch(/^genai-prices@[\d.]+\+overrides\.[0-9a-f]{12}$/);
    expect(metadata.usage_by_model).toEqual([
      { provider: 'openai', model: 'gpt-4o-2024-08-06', calls: 2, input: 1800, output: 650, cache_read: 0, cache_write: 0, reasoning: 0, reported_cost_usd: null, estimated_cost_usd: 0.0031 },
    ]);
    expect(await metadataOf(reportedId)).toBe(reportedBefore);
    // The index that answers `runs list`, `search` and `stats` sees the new figure too.
    const listed = await runCli(['runs', 'list', '--runs-dir', runsDir, '--json'], env);
    const runs = (JSON.parse(listed.stdout) as { runs: { run_id: string; cost_usd: number }[] }).runs;
    expect(runs.find((r) => r.run_id === estimatedId)?.cost_usd).toBe(0.0031);
  });

  it('skips runs started before --since and refuses a bad duration with exit code 2', async () => {
    const recent = await runCli(['runs', 'reprice', '--since', '1h', '--runs-dir', runsDir, '--json'], env);
    expect(JSON.parse(recent.stdout)).toMatchObject({ examined: 0, changed: [] });
    const bad = await runCli(['runs', 'reprice', '--since', 'yesterday', '--runs-dir', runsDir], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('paracle: --since "yesterday" is neither a duration (30s, 15m, 12h, 7d, 2w) nor an ISO-8601 time.\n');
  });

  it('exits 3 when the run store does not exist', async () => {
    const missing = await runCli(['runs', 'reprice', '--runs-dir', join(dir, 'nowhere')], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(`paracle: there is no run store at ${join(dir, 'nowhere')}.\n`);
  });
});
