import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMatrixRuns, type MatrixRuns } from '../helpers/access-matrix.js';
import { makeTempDir, removeTempDir, runCli, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { rawRequest } from '../helpers/raw-http.js';

const ANY = '127.0.0.1:0';
// CLI processes and daemons start slowly on a loaded machine: a liveness bound, not a speed.
const SLOW = { timeout: 120_000 };

/** Makes a token with the CLI: the token and its config entry, as a user would copy them. */
async function tokenNew(...args: string[]): Promise<{ token: string; entry: Record<string, unknown> }> {
  const result = await runCli(['token', 'new', ...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { token: string; entry: Record<string, unknown> };
}

async function stop(daemon: DaemonProcess | undefined): Promise<number | null> {
  if (!daemon || daemon.child.exitCode !== null) return daemon?.child.exitCode ?? null;
  daemon.child.kill('SIGTERM');
  return daemon.exited;
}

describe('tokens made with `paracle token new`, used by the CLI against a daemon', SLOW, () => {
  let root: string;
  let runs: MatrixRuns;
  let daemon: DaemonProcess;
  let configFile: string;
  let viewer: { token: string; entry: Record<string, unknown> };
  let server: string;

  const writeConfig = (tokens: Record<string, unknown>[]): Promise<void> => writeFile(configFile, JSON.stringify({ paracle_config: { access: { tokens } } }));

  beforeAll(async () => {
    root = await makeTempDir('paracle-access-cli-');
    runs = await writeMatrixRuns(join(root, 'runs'));
    viewer = await tokenNew('--name', 'grafana', '--role', 'viewer');
    const admin = await tokenNew('--name', 'ops', '--role', 'admin');
    configFile = join(root, 'paracle.yaml');
    await writeConfig([viewer.entry, admin.entry]);
    daemon = await spawnDaemon(['--config', configFile, '--runs-dir', join(root, 'runs'), '--http', ANY, '--otlp-http', ANY, '--otlp-grpc', ANY]);
    server = `http://${daemon.listening.http}`;
  }, SLOW.timeout);
  afterAll(async () => {
    await stop(daemon);
    await removeTempDir(root);
  });

  it('prints the token once with the config entry holding only its SHA-256', async () => {
    const result = await runCli(['token', 'new', '--name', 'ci', '--role', 'analyst', '--agents', 'coder,review-*', '--workflows', 'release']);
    expect(result.code).toBe(0);
    const token = /^ {2}(paracle_\S+)$/m.exec(result.stdout)![1]!;
    expect(result.stdout).toMatch(/- \{ name: "ci", sha256: "[0-9a-f]{64}", role: analyst, agents: \["coder","review-\*"\], workflows: \["release"\] \}/);
    expect(result.stdout.split(token)).toHaveLength(2);
    const refused = await runCli(['token', 'new', '--name', 'agents', '--role', 'ingest', '--agents', '*']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^paracle: --agents an ingest token cannot be scoped/);
  });

  it('sends the first of --token, --token-file and PARACLE_TOKEN; refuses without one (exit 1)', async () => {
    const tokenFile = join(root, 'token.txt');
    await writeFile(tokenFile, `${viewer.token}\n`);
    const list = ['runs', 'list', '--json', '--server', server];
    expect((await runCli([...list, '--token-file', tokenFile])).code).toBe(0);
    expect((await runCli(list, { PARACLE_TOKEN: viewer.token })).code).toBe(0);
    expect((await runCli([...list, '--token', viewer.token], { PARACLE_TOKEN: 'wrong' })).code).toBe(0);
    expect((await runCli([...list, '--token-file', tokenFile], { PARACLE_TOKEN: 'wrong' })).code).toBe(0);
    const none = await runCli(list, { PARACLE_TOKEN: '' });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^paracle: the daemon refused the request: a token is needed/);
    const role = await runCli(['runs', 'artifacts', runs.inScope, '--server', server, '--token-file', tokenFile]);
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/has role viewer; this needs analyst/);
    const help = await runCli(['runs', 'list', '--help']);
    expect(help.stdout).toMatch(/--token <token>.*prefer --token-file or env PARACLE_TOKEN/s);
  });

  it('stops accepting a token removed from the config, without a restart', async () => {
    const headers = { authorization: `Bearer ${viewer.token}` };
    expect((await rawRequest(server, 'GET', '/api/v1/runs', { headers })).status).toBe(200);
    const replacement = await tokenNew('--name', 'ops', '--role', 'admin');
    await writeConfig([replacement.entry]);
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await rawRequest(server, 'GET', '/api/v1/runs', { headers })).status;
    }
    expect(status).toBe(401);
    expect((await rawRequest(server, 'GET', '/api/v1/runs', { headers: { authorization: `Bearer ${replacement.token}` } })).status).toBe(200);
  });
});

describe('paracle audit list / verify', SLOW, () => {
  let root: string;
  let runsDir: string;
  let runs: MatrixRuns;

  beforeAll(async () => {
    root = await makeTempDir('paracle-audit-cli-');
    runsDir = join(root, 'runs');
    runs = await writeMatrixRuns(runsDir);
  });
  afterAll(async () => removeTempDir(root));

  it('records CLI commands on the store as local:<OS user>, lists them, and verifies the chain', async () => {
    expect((await runCli(['runs', 'pin', runs.coder, '--runs-dir', runsDir])).code).toBe(0);
    expect((await runCli(['runs', 'artifacts', runs.inScope, '--cat', 'report.md', '--runs-dir', runsDir])).code).toBe(0);
    const listed = await runCli(['audit', 'list', '--runs-dir', runsDir, '--actor', `local:${userInfo().username}`, '--json']);
    expect((JSON.parse(listed.stdout) as { action: string; run_id: string }[]).map((l) => [l.action, l.run_id])).toEqual([
      ['run.pin', runs.coder],
      ['run.read.artifact', runs.inScope],
    ]);
    const table = await runCli(['audit', 'list', '--runs-dir', runsDir, '--run', runs.coder]);
    expect(table.stdout).toMatch(/^TIME +ACTOR +ACTION +RUN +OUTCOME\n.*run\.pin +\S+ +ok\n$/);
    const verified = await runCli(['audit', 'verify', '--runs-dir', runsDir]);
    expect(verified).toMatchObject({ code: 0, stdout: 'audit trail intact: 2 lines in 1 files\n' });
  });

  it('exits 1 naming the file and line of an edited line', async () => {
    const [file] = (await import('node:fs')).readdirSync(join(runsDir, '.audit')).filter((f) => f.endsWith('.jsonl'));
    const path = join(runsDir, '.audit', file!);
    const original = await readFile(path, 'utf8');
    await writeFile(path, original.replace('"run.read.artifact"', '"run.read.logs"'));
    const result = await runCli(['audit', 'verify', '--runs-dir', runsDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`paracle: ${path} line 2: the line does not match its hash: it was edited (or forged and inserted).\n`);
    await writeFile(path, original);
  });
});

describe('a kill -9 during an audited action', SLOW, () => {
  for (const [point, repair] of [
    ['audit.torn', /cut a torn audit line/],
    ['audit.appended', /adopted audit lines written just before a crash/],
  ] as const) {
    it(`at ${point}: the next start repairs the trail, which verifies and goes on`, async () => {
      const root = await makeTempDir('paracle-audit-crash-');
      try {
        const runsDir = join(root, 'runs');
        const runs = await writeMatrixRuns(runsDir);
        const args = ['--runs-dir', runsDir, '--http', ANY, '--otlp-http', ANY, '--otlp-grpc', ANY];
        const first = await spawnDaemon(args, { PARACLE_TEST_CRASH_AT: point });
        const read = rawRequest(`http://${first.listening.http}`, 'GET', `/api/v1/runs/${runs.coder}/output`);
        await expect(read).rejects.toThrow(/socket hang up|ECONNRESET/);
        expect(await first.exited).toBeNull(); // killed by SIGKILL
        const second = await spawnDaemon(args);
        try {
          expect(second.stderr()).toMatch(repair);
          const after = await rawRequest(`http://${second.listening.http}`, 'GET', `/api/v1/runs/${runs.coder}/input`);
          expect(after.status).toBe(200);
        } finally {
          await stop(second);
        }
        const verified = await runCli(['audit', 'verify', '--runs-dir', runsDir]);
        expect(verified.stderr).toBe('');
        expect(verified.code).toBe(0);
        const actions = JSON.parse((await runCli(['audit', 'list', '--runs-dir', runsDir, '--json'])).stdout) as { action: string }[];
        expect(actions.map((l) => l.action)).toEqual(point === 'audit.torn' ? ['run.read.input'] : ['run.read.output', 'run.read.input']);
      } finally {
        await removeTempDir(root);
      }
    });
  }
});
