import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSharedStore, useSharedStore } from '../../src/store/index.js';
import { publishRun } from '../../src/store/shared/publish.js';
import { makeTempDir, removeTempDir, runCli } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

/**
 * `paracle runs` without a daemon on the shared backend (`runs.backend: shared` in the
 * config): the CLI mirrors the PostgreSQL index into the runs dir's index and reads run
 * files from object storage, answering as `--runs-dir` on a local store with the same runs.
 */

let postgres: TestPostgres;
let s3: TestS3;
let root: string;
let localDir: string;
let config: string;
let fixture: FixtureRun[];

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  root = await makeTempDir('paracle-cli-shared-');
  localDir = join(root, 'local');
  const staging = join(root, 'staging');
  fixture = await writeFixtureStore(localDir, { count: 30 });
  await cp(localDir, staging, { recursive: true });
  const shared = await openSharedStore({ s3: s3.options('cli/'), postgresUrl: postgres.url });
  useSharedStore(staging, shared);
  for (const run of fixture) await publishRun(staging, shared, { kind: run.kind, runId: run.runId });
  useSharedStore(staging, null);
  await shared.close();
  config = join(root, 'paracle.yaml');
  await writeFile(
    config,
    [
      'paracle_config:',
      '  runs:',
      `    dir: ${join(root, 'replica')}`,
      '    backend: shared',
      `    s3: { endpoint: "${s3.endpoint}", bucket: ${s3.bucket}, prefix: cli/, region: us-east-1, force_path_style: true }`,
      `    postgres: { url: "${postgres.url}" }`,
      '',
    ].join('\n'),
  );
  await mkdir(join(root, 'replica'), { mode: 0o700 });
}, 120_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), s3?.stop()]);
  await removeTempDir(root);
});

const env = (): NodeJS.ProcessEnv => s3.env;
const onShared = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--config', config], env());
const onLocal = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--runs-dir', localDir]);

describe('paracle runs on the shared backend, without a daemon', () => {
  it('answers as on a local store with the same runs', async () => {
    const run = fixture.find((r) => r.artifacts.length > 0)!;
    const commands = [
      ['list', '--limit', '100', '--json'],
      ['search', '--agent', 'coder', '--status', 'completed', '--json'],
      ['search', '--text', run.marker, '--json'],
      ['get', run.runId, '--json'],
      ['artifacts', run.runId, '--json'],
      ['artifacts', run.runId, '--cat', 'out/data.json'],
      ['stats', '--by', 'model', '--json'],
      ['get', '01HN7X8K9M2PQRSTVVWXYZ3456'],
    ];
    // The first command builds each index (a rebuild, a resync), saying so on stderr.
    expect((await onShared('list', '--json')).stderr).toMatch(/^paracle: resyncing the run index from the shared index\n/);
    expect((await onLocal('list', '--json')).stderr).toMatch(/^paracle: rebuilding the run index/);
    for (const command of commands) {
      const [shared, local] = await Promise.all([onShared(...command), onLocal(...command)]);
      expect(shared, command.join(' ')).toEqual(local);
    }
    expect(JSON.parse((await onShared('list', '--limit', '100', '--json')).stdout).runs).toHaveLength(fixture.length);
    // Twenty CLI processes: a liveness bound, not a speed figure.
  }, 120_000);

  it('pins through the shared index, and reindex resyncs from it', async () => {
    const run = fixture[2]!;
    expect(JSON.parse((await onShared('pin', run.runId, '--json')).stdout)).toEqual({ run_id: run.runId, pinned: true });
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      expect((await client.query('SELECT pinned FROM paracle_runs WHERE run_id = $1', [run.runId])).rows).toEqual([{ pinned: true }]);
    } finally {
      await client.end();
    }
    const reindexed = await onShared('reindex', '--json');
    expect(reindexed.stderr).toMatch(/resyncing the run index from the shared index/);
    expect(JSON.parse(reindexed.stdout)).toEqual({ runs_dir: join(root, 'replica'), runs: fixture.length });
    expect(JSON.parse((await onShared('get', run.runId, '--json')).stdout)).toMatchObject({ pinned: true });
  }, 60_000);
});
