/**
 * `paracle store migrate` as users run it (the built CLI in child processes) against a real
 * PostgreSQL and an S3-compatible server: a store with live, pinned, compressed and archived
 * runs goes to the shared backend and back into a fresh runs dir byte for byte, plaintext
 * and encrypted (the wrapped data keys travel as objects); run again it finds everything
 * there; interrupted, it copies what is missing; it refuses while a daemon serves the runs
 * dir and says which run it could not copy.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRun, compressRunFile, newRunId, registerServing, RunObjects, runDirectory, setPinned } from '../../src/store/index.js';
import { snapshotTree } from '../helpers/aged-runs.js';
import { makeTempDir, removeTempDir, runCli } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { createDatabase } from '../helpers/pg-database.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
let postgres: TestPostgres;
let s3: TestS3;
let dir: string;
let databases = 0;

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  dir = await makeTempDir('paracle-migrate-');
}, 60_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), s3?.stop()]);
  await removeTempDir(dir);
});

/** A config file naming a fresh database and key prefix (and, when `keyFile`, encryption with it). */
async function configFor(name: string, keyFile: string | null): Promise<{ file: string; url: string; prefix: string }> {
  databases += 1;
  const db = `migrate${databases}`;
  const url = await createDatabase(postgres, db);
  const prefix = `${db}/`;
  const file = join(dir, `${name}.yaml`);
  const encryption = keyFile ? `  privacy:\n    encryption:\n      enabled: true\n      key_file: ${keyFile}\n` : '';
  await writeFile(
    file,
    `paracle_config:\n  runs:\n    s3:\n      endpoint: ${s3.endpoint}\n      bucket: ${s3.bucket}\n      prefix: ${prefix}\n      region: us-east-1\n      force_path_style: true\n    postgres:\n      url: ${url}\n${encryption}`,
  );
  return { file, url, prefix };
}

/** A store as the daemon leaves it: live runs (one pinned, one with a compressed artifact) and an archived run. */
async function writeStore(runsDir: string, config: string, encrypted = false): Promise<FixtureRun[]> {
  await mkdir(runsDir, { recursive: true, mode: 0o700 });
  const runs = await writeFixtureStore(runsDir, { count: 12, nowMs: NOW });
  const done = runs.filter((r) => r.status !== 'running' && r.kind === 'agent');
  await archiveRun(runsDir, { kind: 'agent', runId: done[0]!.runId }, NOW);
  await setPinned(runsDir, { kind: 'agent', runId: done[1]!.runId }, true);
  const withArtifacts = runs.find((r) => r.artifacts.length > 0 && r.runId !== done[0]!.runId)!;
  await compressRunFile(runDirectory(runsDir, withArtifacts.kind, withArtifacts.runId), `artifacts/${withArtifacts.artifacts[0]!}`);
  // An encrypted store is made as users make one: converted by the CLI.
  if (encrypted) expect((await runCli(['keys', 'encrypt-store', '--runs-dir', runsDir, '--config', config])).code).toBe(0);
  return runs;
}

/** The store's content: run directories, archives and wrapped keys (path -> SHA-256). */
async function content(runsDir: string): Promise<Record<string, string>> {
  const tree = await snapshotTree(runsDir);
  return Object.fromEntries(Object.entries(tree).filter(([path]) => /^(agents|workflows|\.archive|\.keys)\//.test(path)));
}

const migrate = (to: string, runsDir: string, config: string, json = true) =>
  runCli(['store', 'migrate', '--to', to, '--runs-dir', runsDir, '--config', config, ...(json ? ['--json'] : [])]);

// Each test runs the CLI 5 to 10 times over a store of 12 runs: 20 s alone, longer beside other tests.
describe('paracle store migrate', { timeout: 180_000 }, () => {
  it.each([
    ['plaintext', false],
    ['encrypted', true],
  ])('takes a %s store to the shared backend and back, identical, and answers the same queries', async (name, encrypted) => {
    let keyFile: string | null = null;
    if (encrypted) {
      keyFile = join(dir, `${name}.key`);
      await writeFile(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    const config = await configFor(name, keyFile);
    const source = join(dir, `${name}-source`);
    const runs = await writeStore(source, config.file, encrypted);
    const before = await content(source);
    expect(Object.keys(before).some((p) => p.startsWith('.keys/'))).toBe(encrypted);

    const out = await migrate('shared', source, config.file);
    expect(out.stderr, out.stdout).toBe('');
    expect(out.code).toBe(0);
    const live = runs.length - 1;
    expect(JSON.parse(out.stdout), out.stdout).toMatchObject({ to: 'shared', runs: live, archives: 1, rows: live, problems: [] });
    // Publishing a run of an encrypted store uploads the data key its files name; the other keys follow.
    expect(JSON.parse(out.stdout).already).toBe(encrypted ? live : 0);
    expect(JSON.parse(out.stdout).files_verified).toBeGreaterThan(live * 4);
    // The source is left as it was.
    expect(await content(source)).toEqual(before);
    const db = new pg.Client({ connectionString: config.url });
    await db.connect();
    const rows = await db.query<{ n: string; pinned: string }>('SELECT count(*) AS n, count(*) FILTER (WHERE pinned) AS pinned FROM paracle_runs WHERE NOT deleted');
    await db.end();
    expect(rows.rows[0]).toEqual({ n: String(live), pinned: '1' });

    // Again: everything is there already.
    const again = await migrate('shared', source, config.file);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ already: JSON.parse(out.stdout).runs + 1 + JSON.parse(out.stdout).keys, problems: [] });

    const target = join(dir, `${name}-target`);
    const back = await migrate('local', target, config.file, false);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(new RegExp(`^copied ${live} run\\(s\\), 1 archive\\(s\\) .* to ${target} \\(0 already there\\)\\.\\nverified: \\d+ file\\(s\\) by SHA-256, ${live} run\\(s\\) indexed\\.\\n$`));
    expect(await content(target)).toEqual(before);

    // The copy is a store: the CLI answers from it what it answers from the source.
    for (const args of [['runs', 'list', '--limit', '100', '--json'], ['runs', 'get', runs.at(-1)!.runId, '--json'], ['runs', 'stats', '--json']]) {
      const [a, b] = await Promise.all([source, target].map((runsDir) => runCli([...args, '--runs-dir', runsDir, '--config', config.file])));
      expect(b!.code).toBe(0);
      expect(b!.stdout).toBe(a!.stdout);
    }
  });

  it('finishes an interrupted migration, copying only what is missing', async () => {
    const config = await configFor('resume', null);
    const source = join(dir, 'resume-source');
    const runs = await writeStore(source, config.file);
    expect((await migrate('shared', source, config.file)).code).toBe(0);
    // As if cut short: one run's objects half gone and another's row never written.
    const objects = new RunObjects({ ...s3.options(config.prefix) });
    const victim = runs.find((r) => r.status === 'completed' && r.kind === 'agent' && r.artifacts.length === 0)!;
    await objects.remove([`agents/${victim.runId}/output.json`]);
    const unindexed = runs.filter((r) => r.status === 'failed').at(-1)!;
    const db = new pg.Client({ connectionString: config.url });
    await db.connect();
    await db.query('DELETE FROM paracle_runs WHERE run_id = $1', [unindexed.runId]);
    await db.end();
    objects.close();

    const resumed = await migrate('shared', source, config.file);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as { runs: number; already: number; keys: number; problems: string[] };
    // Every run but the two is found copied, and the archive.
    expect(report.already).toBe(report.runs - 2 + 1 + report.keys);
    const target = join(dir, 'resume-target');
    expect((await migrate('local', target, config.file)).code).toBe(0);
    expect(await content(target)).toEqual(await content(source));
  });

  it('refuses while a daemon serves the runs dir, and names a run the shared store holds another run of the trace of', async () => {
    const config = await configFor('refusals', null);
    const source = join(dir, 'refusals-source');
    const runs = await writeStore(source, config.file);
    const serving = registerServing(source);
    const refused = await migrate('shared', source, config.file);
    serving.release();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^paracle: a daemon \(pid \d+ on .*\) serves the runs dir .*: stop it first\.\n$/);

    expect((await migrate('shared', source, config.file)).code).toBe(0);
    // Another store with a run of one of the same traces under another id.
    const other = join(dir, 'refusals-other');
    await mkdir(join(other, 'agents'), { recursive: true, mode: 0o700 });
    // A live run (the first completed agent run is archived, the second pinned).
    const original = runs.filter((r) => r.kind === 'agent' && r.status !== 'running')[2]!;
    const twin = newRunId(original.startedAtMs + 1, original.traceId);
    await cp(runDirectory(source, 'agent', original.runId), runDirectory(other, 'agent', twin), { recursive: true });
    const metadata = join(runDirectory(other, 'agent', twin), 'metadata.yaml');
    await writeFile(metadata, (await readFile(metadata, 'utf8')).replace(original.runId, twin));
    const clash = await migrate('shared', other, config.file);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`paracle: run ${twin} not copied: the shared store holds another run of its trace`);
    expect(JSON.parse(clash.stdout).problems, clash.stdout).toHaveLength(1);
    await rm(other, { recursive: true, force: true });
  });

  it('is a usage error without --to shared|local or without a shared backend in the config', async () => {
    const runsDir = join(dir, 'usage');
    await mkdir(runsDir, { recursive: true });
    const bad = await runCli(['store', 'migrate', '--to', 'elsewhere', '--runs-dir', runsDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to .*elsewhere/);
    expect((await runCli(['store', 'migrate', '--runs-dir', runsDir])).code).toBe(2);
    const plain = join(dir, 'plain.yaml');
    await writeFile(plain, 'paracle_config:\n  runs:\n    mode: lite\n');
    const none = await runCli(['store', 'migrate', '--to', 'shared', '--runs-dir', runsDir, '--config', plain]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('paracle: the config names no shared backend: set runs.s3.bucket (and endpoint...) and runs.postgres.url.\n');
    const help = await runCli(['store', 'migrate', '--help']);
    expect(help.stdout).toContain('--to <backend>');
    expect(help.stdout).toContain('Refuses while');
  });
});
