import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';

const DAY = 86_400_000;
let root: string;
let runsDir: string;
let fixture: FixtureRun[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'paracle-cli-'));
  runsDir = join(root, 'runs');
  fixture = await writeFixtureStore(runsDir, { count: 90 });
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--runs-dir', runsDir]);
const json = async (...args: string[]): Promise<unknown> => {
  const result = await cli(...args, '--json');
  expect(result.stderr, result.stderr).not.toMatch(/Error|at /);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as unknown;
};
const runIds = (page: unknown): unknown[] => (page as { runs: { run_id: unknown }[] }).runs.map((r) => r.run_id);
const agentRun = (predicate: (r: FixtureRun) => boolean): FixtureRun => fixture.find((r) => r.kind === 'agent' && predicate(r)) as FixtureRun;

describe('paracle runs list and search', () => {
  it('lists the newest 20 by default, as a table or JSON', async () => {
    const page = (await json('list')) as { runs: unknown[]; next_cursor: string | null };
    expect(runIds(page)).toEqual(fixture.slice(0, 20).map((r) => r.runId));
    expect(page.next_cursor).not.toBeNull();
    const table = await cli('list', '--limit', '3', '--kind', 'agent');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN ID\s+KIND\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+TOKENS\s+COST\s+MODEL$/);
    expect(lines).toHaveLength(5);
    expect(table.stdout).not.toContain('\u001b[');
    expect(lines[1]).toMatch(/ago|just now/);
  });

  it('search --agent coder --status completed --since 7d returns exactly the matching runs', async () => {
    const page = await json('search', '--agent', 'coder', '--status', 'completed', '--since', '7d', '--limit', '1000');
    const cutoff = Date.now() - 7 * DAY;
    const expected = fixture.filter((r) => r.kind === 'agent' && r.subject === 'coder' && r.status === 'completed' && r.startedAtMs >= cutoff);
    expect(expected.length).toBeGreaterThan(1);
    expect(runIds(page)).toEqual(expected.map((r) => r.runId));
  });

  it('finds text case-insensitively and filters by model and ISO --until', async () => {
    const target = fixture[7] as FixtureRun;
    expect(runIds(await json('search', '--text', target.marker.toUpperCase()))).toEqual([target.runId]);
    const until = new Date(Date.now() - 20 * DAY).toISOString();
    const expected = fixture.filter((r) => r.model === 'claude-3' && r.startedAtMs <= Date.parse(until));
    expect(runIds(await json('search', '--model', 'claude-3', '--until', until, '--limit', '1000'))).toEqual(expected.map((r) => r.runId));
  });

  it('refuses bad durations, statuses and limits with exit 2 and one sentence', async () => {
    const cases = [['--since', '7y'], ['--status', 'done'], ['--limit', 'ten'], ['--until', 'yesterday']];
    const results = await Promise.all(cases.map((args) => cli('search', ...args)));
    results.forEach((result, i) => {
      expect(result.code, cases[i]?.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^paracle: .+\.$/m);
    });
    const verbose = await cli('search', '--since', '7y', '--verbose');
    expect(verbose.stderr).toMatch(/at .+duration/);
  });

  it('fails with exit 1 for a runs dir it cannot read', async () => {
    const file = join(root, 'not-a-dir');
    await writeFile(file, 'x');
    const result = await runCli(['runs', 'list', '--runs-dir', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^paracle: .*not-a-dir/);
    expect((await runCli(['runs', 'list', '--runs-dir', join(root, 'missing')])).code).toBe(1);
  });
});

describe('paracle runs get, artifacts, pin', () => {
  it('prints metadata and files, exit 3 for an unknown run and 2 for traversal', async () => {
    const run = agentRun((r) => r.artifacts.length > 0);
    const detail = (await json('get', run.runId)) as { run_id: string; agent_id: string; pinned: boolean; files: { path: string }[] };
    expect(detail).toMatchObject({ run_id: run.runId, agent_id: run.subject, pinned: false });
    expect(detail.files.map((f) => f.path)).toContain('artifacts/out/data.json');
    expect((await cli('get', run.runId)).stdout).toMatch(/^agent_id\s+\S+$/m);
    const unknown = await cli('get', '01HN7X8K9M2PQRSTVVWXYZ3456');
    expect([unknown.code, unknown.stderr]).toEqual([3, 'paracle: no run with id 01HN7X8K9M2PQRSTVVWXYZ3456.\n']);
    const bad = await Promise.all(['../agents', '%2e%2e', '/etc/passwd'].map((id) => cli('get', id)));
    expect(bad.map((result) => result.code)).toEqual([2, 2, 2]);
  });

  it('lists, prints and extracts artifacts; refuses paths that leave the folder', async () => {
    const run = agentRun((r) => r.artifacts.length > 0);
    const listed = (await json('artifacts', run.runId)) as { artifacts: { path: string }[] };
    expect(listed.artifacts.map((a) => a.path)).toEqual(['out/data.json', 'report.md']);
    expect((await cli('artifacts', run.runId, '--cat', 'report.md')).stdout).toBe(`report.md of ${run.runId}\n`);
    const dest = join(root, 'extracted');
    expect((await cli('artifacts', run.runId, '--extract', dest)).code).toBe(0);
    expect(await readFile(join(dest, 'out', 'data.json'), 'utf8')).toBe(`out/data.json of ${run.runId}\n`);
    const bad = await Promise.all(['../metadata.yaml', '/etc/passwd', 'out/../../input.json', '..'].map((path) => cli('artifacts', run.runId, '--cat', path)));
    expect(bad.map((result) => [result.code, result.stdout])).toEqual(Array(4).fill([2, '']));
    expect((await cli('artifacts', run.runId, '--cat', 'nope.txt')).code).toBe(3);
  });

  it('pins and unpins', async () => {
    const run = fixture[4] as FixtureRun;
    expect(await json('pin', run.runId)).toEqual({ run_id: run.runId, pinned: true });
    expect(((await json('list', '--limit', '10')) as { runs: { run_id: string; pinned: boolean }[] }).runs.find((r) => r.run_id === run.runId)?.pinned).toBe(true);
    expect((await cli('unpin', run.runId)).stdout).toBe(`unpinned ${run.runId}\n`);
    expect(((await json('get', run.runId)) as { pinned: boolean }).pinned).toBe(false);
  });
});

describe('paracle runs stats, diff, reindex', () => {
  it('groups by agent with counts, failures, tokens, cost and percentiles', async () => {
    const answer = (await json('stats', '--by', 'agent', '--since', '7d')) as { by: string; groups: { key: string; count: number; failures: number; tokens: number }[] };
    const cutoff = Date.now() - 7 * DAY;
    const coder = fixture.filter((r) => r.kind === 'agent' && r.subject === 'coder' && r.startedAtMs >= cutoff);
    expect(answer.by).toBe('agent');
    expect(answer.groups.find((g) => g.key === 'coder')).toMatchObject({
      count: coder.length,
      failures: coder.filter((r) => r.status === 'failed').length,
      tokens: coder.reduce((sum, r) => sum + r.tokens, 0),
    });
    expect((await cli('stats', '--by', 'status')).stdout).toMatch(/^STATUS\s+RUNS\s+FAILED\s+TOKENS\s+COST\s+P50\s+P95$/m);
    expect((await cli('stats', '--by', 'colour')).code).toBe(2);
  });

  it('diffs two runs', async () => {
    const [a, b] = [fixture[0] as FixtureRun, fixture[1] as FixtureRun];
    const diff = (await json('diff', a.runId, b.runId)) as { tokens: { delta: number }; fields: { field: string; same: boolean }[] };
    expect(diff.tokens.delta).toBe(b.tokens - a.tokens);
    expect(diff.fields.find((f) => f.field === 'started_at')?.same).toBe(false);
    expect((await cli('diff', a.runId, b.runId)).stdout).toMatch(/^tokens:\s+\d+ -> \d+/m);
  });

  it('gives the same answer after the index is deleted, with a log line', async () => {
    const before = await json('list', '--limit', '1000');
    await rm(join(runsDir, '.index'), { recursive: true });
    const after = await cli('list', '--limit', '1000', '--json');
    expect(after.stderr).toMatch(/rebuilding the run index/);
    expect(JSON.parse(after.stdout)).toEqual(before);
    expect(await json('reindex')).toEqual({ runs_dir: runsDir, runs: fixture.length });
  });
});
