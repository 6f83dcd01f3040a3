import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MaintenanceLease } from '../../src/maintenance/index.js';
import { writeAgedRuns, type WrittenRun } from '../helpers/aged-runs.js';
import { makeTempDir, removeTempDir, spawnDaemon, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { scrape, sumOf } from '../helpers/metrics.js';
import { textArtifact } from '../unit/store/records.js';

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
const NEVER = '0 0 1 1 *';

/** Polls `check` every 100 ms until it returns true, for at most `ms`. */
async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked field by field
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

const bytesOf = async (url: string): Promise<Buffer> => {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return Buffer.from(await res.arrayBuffer());
};

describe('maintenance through the API', () => {
  let daemon: TestDaemon;
  let runs: WrittenRun[];

  beforeEach(async () => {
    const runsDir = await makeTempDir('paracle-maint-api-');
    runs = await writeAgedRuns(
      runsDir,
      [1, 40].map((ageDays) => ({ id: 'coder', ageDays, artifacts: [textArtifact('out/report.md', `report ${ageDays}\n`)] })),
      Date.now(),
    );
    daemon = await startTestDaemon({ runs: { retention_days: 30, schedules: { retention: NEVER, sampling: NEVER, compression: NEVER, archival: NEVER } } }, { runsDir });
  });
  afterEach(async () => daemon.stop());

  it('POST /api/v1/maintenance/retention archives; the archived run reads back identical', async () => {
    const old = runs[1]!.runId;
    const api = `${daemon.httpUrl}/api/v1`;
    const paths = ['trace', 'input', 'output', 'logs', 'artifacts/out/report.md'];
    const before = await Promise.all(paths.map((p) => bytesOf(`${api}/runs/${old}/${p}`)));

    const dry = await fetch(`${api}/maintenance/retention?dry_run=true`, { method: 'POST' });
    expect(await dry.json()).toMatchObject({ job: 'retention', dry_run: true, actions: [{ action: 'archive', run_id: old, reason: 'age' }] });
    expect((await json(fetch(`${api}/runs/${old}`))).place).toBe('live');

    const res = await fetch(`${api}/maintenance/retention`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ job: 'retention', dry_run: false, failed: 0, actions: [{ action: 'archive', run_id: old }] });
    expect(await Promise.all(paths.map((p) => bytesOf(`${api}/runs/${old}/${p}`)))).toEqual(before);
    const detail = await json(fetch(`${api}/runs/${old}`));
    expect(detail).toMatchObject({ run_id: old, place: 'archive', pinned: false });
    expect(await (await fetch(`${api}/runs/${old}/artifacts`)).json()).toEqual({ run_id: old, artifacts: [{ path: 'out/report.md', size: 10 }] });
    const list = await json(fetch(`${api}/runs`));
    expect(list.runs.map((r: { run_id: string }) => r.run_id)).toEqual([runs[0]!.runId]);

    await eventually(async () => {
      const text = await scrape(daemon.httpUrl);
      return (
        sumOf(text, 'paracle_maintenance_runs_total', { job: 'retention', outcome: 'ok' }) === 1 &&
        sumOf(text, 'paracle_store_runs', { kind: 'agent', place: 'archive' }) === 1 &&
        sumOf(text, 'paracle_store_runs', { kind: 'agent', place: 'live' }) === 1
      );
    });
    const text = await scrape(daemon.httpUrl);
    expect(sumOf(text, 'paracle_maintenance_duration_seconds_count', { job: 'retention' })).toBe(1);
    expect(sumOf(text, 'paracle_store_bytes', { place: 'archive' })).toBeGreaterThan(0);
  });

  it('answers bad job names, methods and parameters, and a held lease, with clear errors', async () => {
    const api = `${daemon.httpUrl}/api/v1/maintenance`;
    const cases: [string, string, number, string][] = [
      ['POST', '/vacuum', 404, 'not_found'],
      ['GET', '/retention', 405, 'method_not_allowed'],
      ['POST', '/retention?dry_run=maybe', 400, 'invalid_argument'],
      ['POST', '/retention?older_than=soon', 400, 'invalid_argument'],
      ['POST', '/sampling?older_than=7d', 400, 'invalid_argument'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await fetch(`${api}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect((await json(res)).error.code).toBe(code);
    }
    const other = new MaintenanceLease(daemon.runsDir, 60_000);
    expect(await other.acquire()).toBe(true);
    const busy = await fetch(`${api}/retention`, { method: 'POST' });
    expect(busy.status).toBe(409);
    expect((await json(busy)).error).toEqual({ code: 'conflict', message: `another process is running maintenance on ${daemon.runsDir}` });
    await other.release();
    expect((await fetch(`${api}/archival`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${daemon.httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('paracle serve with a watched config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('paracle-maint-proc-');
  });
  afterEach(async () => removeTempDir(dir));

  const config = (retention: string, extra = '') =>
    `paracle_config:\n  runs:\n    schedules: { retention: "${retention}", sampling: "${NEVER}", compression: "${NEVER}", archival: "${NEVER}" }\n${extra}`;

  it('applies a changed schedule without a restart and refuses an invalid change', async () => {
    const file = join(dir, 'paracle.yaml');
    await writeFile(file, config(NEVER));
    const daemon = await spawnDaemon(['--config', file, '--runs-dir', join(dir, 'runs'), ...PORT0]);
    const http = `http://${daemon.listening.http}`;
    const retentionRuns = async () => sumOf(await scrape(http), 'paracle_maintenance_runs_total', { job: 'retention', outcome: 'ok' });
    try {
      expect(await retentionRuns()).toBe(0);
      await writeFile(file, config('* * * * * *'));
      await eventually(async () => (await retentionRuns()) >= 1);
      expect(daemon.stderr()).toMatch(/"msg":"maintenance schedules changed"/);

      await writeFile(file, config('* * * * * *', '    mode: forever\n'));
      await eventually(() => daemon.stderr().includes('config change refused'));
      expect(daemon.stderr()).toMatch(/paracle_config\.runs\.mode/);
      // The old config stays: retention keeps running every second.
      const count = await retentionRuns();
      await eventually(async () => (await retentionRuns()) > count);
      expect((await fetch(`${http}/healthz`)).status).toBe(200);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
  });

  it('finishes a compression killed half-way when the job runs again', async () => {
    const runsDir = join(dir, 'runs');
    const content = 'compressible line\n'.repeat(1000);
    const [run] = await writeAgedRuns(runsDir, [{ id: 'coder', ageDays: 1, artifacts: [textArtifact('big.txt', content)] }], Date.now());
    const file = join(dir, 'paracle.yaml');
    await writeFile(file, config(NEVER, '    artifacts: { compress_over_bytes: 1000 }\n'));
    const args = ['--config', file, '--runs-dir', runsDir, ...PORT0];
    const artifact = join(runsDir, 'agents', run!.runId, 'artifacts', 'big.txt');

    const crashing = await spawnDaemon(args, { PARACLE_TEST_CRASH_AT: 'recorded' });
    await fetch(`http://${crashing.listening.http}/api/v1/maintenance/compression`, { method: 'POST' }).catch(() => null);
    expect(await crashing.exited).toBeNull();
    expect(await readFile(artifact, 'utf8')).toBe(content);

    const daemon = await spawnDaemon(args);
    const http = `http://${daemon.listening.http}`;
    try {
      const res = await fetch(`${http}/api/v1/maintenance/compression`, { method: 'POST' });
      expect(await res.json()).toMatchObject({ failed: 0, actions: [{ action: 'compress', reason: 'artifacts/big.txt' }] });
      expect((await stat(artifact)).size).toBeLessThan(content.length / 5);
      expect((await bytesOf(`${http}/api/v1/runs/${run!.runId}/artifacts/big.txt`)).toString()).toBe(content);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    expect(await daemon.exited).toBe(0);
  });
});
