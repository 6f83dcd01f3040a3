import { cp, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnDaemon, startTestDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { rawRequest } from '../helpers/raw-http.js';
import { waitForFinalRuns } from '../helpers/runs.js';

// Uploads are bytes: a state-changing request with a browser form's body type is refused (415).
const OCTETS = { 'content-type': 'application/octet-stream' };

let root: string;
let runsDir: string;
let fixture: FixtureRun[];
let daemon: DaemonProcess;
let server: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'paracle-cli-daemon-'));
  runsDir = join(root, 'runs');
  fixture = await writeFixtureStore(runsDir, { count: 40 });
  const any = '127.0.0.1:0';
  daemon = await spawnDaemon(['--runs-dir', runsDir, '--http', any, '--otlp-http', any, '--otlp-grpc', any]);
  server = `http://${daemon.listening.http}`;
});
afterAll(async () => {
  daemon.child.kill('SIGTERM');
  await daemon.exited;
  await rm(root, { recursive: true, force: true });
});

const viaServer = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--server', server]);
const viaDir = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--runs-dir', runsDir]);
const listIds = async (): Promise<string[]> =>
  (JSON.parse((await viaServer('list', '--limit', '1000', '--json')).stdout) as { runs: { run_id: string }[] }).runs.map((r) => r.run_id);

describe('paracle runs --server', () => {
  it('gives the same answers as --runs-dir', async () => {
    const run = fixture.find((r) => r.artifacts.length > 0) as FixtureRun;
    const commands = [
      ['list', '--json'],
      ['search', '--agent', 'coder', '--status', 'completed', '--since', '7d', '--json'],
      ['get', run.runId, '--json'],
      ['artifacts', run.runId, '--json'],
      ['artifacts', run.runId, '--cat', 'out/data.json'],
      ['stats', '--by', 'model', '--json'],
      ['search', '--session', 'conv-a', '--limit', '100', '--json'],
      ['stats', '--by', 'session', '--json'],
      ['get', '01HN7X8K9M2PQRSTVVWXYZ3456'],
      ['artifacts', run.runId, '--cat', '../metadata.yaml'],
    ];
    const remote = await Promise.all(commands.map((command) => viaServer(...command)));
    const local = await Promise.all(commands.map((command) => viaDir(...command)));
    commands.forEach((command, i) => expect(remote[i], command.join(' ')).toEqual(local[i]));
    const bySession = JSON.parse(remote[commands.findIndex((c) => c.includes('--session'))]?.stdout ?? '{}') as { runs: { session_id: string }[] };
    expect(bySession.runs.map((r) => r.session_id)).toEqual(fixture.filter((r) => r.session === 'conv-a').map(() => 'conv-a'));
  });

  it('fails with exit 1 and one sentence when no daemon answers', async () => {
    const result = await runCli(['runs', 'list', '--server', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^paracle: cannot reach the paracle daemon at http:\/\/127\.0\.0\.1:9/);
  });

  it('sees a run directory copied in by hand within 2 s, and one deleted by hand go', async () => {
    const run = fixture[3] as FixtureRun;
    const folder = run.kind === 'agent' ? 'agents' : 'workflows';
    await rename(join(runsDir, folder, run.runId), join(root, run.runId));
    await expect.poll(listIds, { timeout: 2000, interval: 100 }).not.toContain(run.runId);
    await cp(join(root, run.runId), join(runsDir, folder, run.runId), { recursive: true });
    await expect.poll(listIds, { timeout: 2000, interval: 100 }).toContain(run.runId);
  });
});

describe('HTTP API', () => {
  it('refuses traversal in run ids, step ids and artifact paths with 400', async () => {
    const run = fixture.find((r) => r.artifacts.length > 0) as FixtureRun;
    const workflow = fixture.find((r) => r.kind === 'workflow') as FixtureRun;
    const paths = [
      '/api/v1/runs/..%2F..%2Fetc',
      '/api/v1/runs/%2e%2e',
      `/api/v1/runs/${run.runId}/artifacts/../metadata.yaml`,
      `/api/v1/runs/${run.runId}/artifacts/%2e%2e/metadata.yaml`,
      `/api/v1/runs/${run.runId}/artifacts/%2Fetc%2Fpasswd`,
      `/api/v1/runs/${run.runId}/artifacts/out%2F..%2F..%2Finput.json`,
      `/api/v1/runs/${workflow.runId}/steps/..%2F..%2F/input`,
      `/api/v1/runs/${workflow.runId}/steps/%2e%2e/input`,
    ];
    for (const path of paths) {
      const answer = await rawRequest(server, 'GET', path);
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.body), path).toMatchObject({ error: { code: 'invalid_argument' } });
    }
  });

  it('serves runs with cursor pagination, files and a 404 in the error shape', async () => {
    const first = await (await fetch(`${server}/api/v1/runs?limit=15`)).json() as { runs: { run_id: string }[]; next_cursor: string };
    const second = await (await fetch(`${server}/api/v1/runs?limit=15&cursor=${first.next_cursor}`)).json() as { runs: { run_id: string }[] };
    expect([...first.runs, ...second.runs].map((r) => r.run_id)).toEqual((await listIds()).slice(0, 30));
    const workflow = fixture.find((r) => r.kind === 'workflow') as FixtureRun;
    const step = await fetch(`${server}/api/v1/runs/${workflow.runId}/steps/plan/output`);
    expect(await step.json()).toEqual({ plan: ['a', 'b'] });
    const missing = await fetch(`${server}/api/v1/runs/01HN7X8K9M2PQRSTVVWXYZ3456/trace`);
    expect([missing.status, await missing.json()]).toEqual([404, { error: { code: 'not_found', message: 'no run with id 01HN7X8K9M2PQRSTVVWXYZ3456' } }]);
    expect((await fetch(`${server}/api/v1/runs?since=7y`)).status).toBe(400);
    expect((await fetch(`${server}/api/v1/runs`, { method: 'POST' })).status).toBe(405);
  });

  it('takes artifact uploads into a written run, refuses traversal and oversize bodies', async () => {
    const run = fixture.find((r) => r.kind === 'agent') as FixtureRun;
    const put = (name: string, body: string): Promise<Response> =>
      fetch(`${server}/api/v1/traces/${run.traceId}/artifacts/${name}`, { method: 'PUT', body, headers: OCTETS });
    const answer = await put('logs%2Fbuild.txt', 'built');
    expect([answer.status, await answer.json()]).toEqual([201, { trace_id: run.traceId, run_id: run.runId, path: 'logs/build.txt', size: 5 }]);
    expect(await readFile(join(runsDir, 'agents', run.runId, 'artifacts', 'logs', 'build.txt'), 'utf8')).toBe('built');
    expect((await rawRequest(server, 'PUT', `/api/v1/traces/${run.traceId}/artifacts/..%2F..%2Fevil`, { body: 'x', headers: OCTETS })).status).toBe(400);
    expect((await put('x', 'y').then(() => fetch(`${server}/api/v1/traces/nothex/artifacts/x`, { method: 'PUT', body: 'x', headers: OCTETS }))).status).toBe(400);
    const big = await rawRequest(server, 'PUT', `/api/v1/traces/${run.traceId}/artifacts/big.bin`, { headers: { 'content-length': 2 ** 30, ...OCTETS } });
    expect(big.status).toBe(413);
  });
});

describe('paracle runs export and staged uploads', () => {
  it('re-sends a run to another daemon, which stores it with uploads staged before it arrived', async () => {
    const target = await startTestDaemon();
    try {
      const run = fixture.find((r) => r.kind === 'agent' && r.status === 'completed') as FixtureRun;
      const staged = await fetch(`${target.httpUrl}/api/v1/traces/${run.traceId}/artifacts/early.txt`, { method: 'PUT', body: 'early', headers: OCTETS });
      expect(await staged.json()).toMatchObject({ run_id: null, path: 'early.txt' });
      const result = await viaDir('export', run.runId, '--otlp', target.otlpUrl, '--json');
      expect(JSON.parse(result.stdout)).toMatchObject({ run_id: run.runId, spans: 1, status: 200 });
      const [copy] = await waitForFinalRuns(target.runsDir, 1);
      expect(copy?.metadata.trace_id).toBe(run.traceId);
      expect(await readFile(join(copy?.dir ?? '', 'artifacts', 'early.txt'), 'utf8')).toBe('early');
      expect((await viaDir('export', run.runId)).code).toBe(2);
    } finally {
      await target.stop();
    }
  });
});
