import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexMirror, RunCatalog, SharedIndex } from '../../../src/store/index.js';
import type { CatalogEntry } from '../../../src/store/catalog/entry.js';
import type { PublishedRun } from '../../../src/store/shared/postgres.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { captureLogger } from '../../helpers/log-capture.js';
import { writeFixtureStore } from '../../helpers/fixture-store.js';
import { createDatabase } from '../../helpers/pg-database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

const DATABASE = 'mirror';
let server: TestPostgres;
let admin: pg.Client;
let index: SharedIndex;
let url: string;

beforeAll(async () => {
  server = await startPostgres();
  url = await createDatabase(server, DATABASE);
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  index = await SharedIndex.connect(url);
}, 60_000);
afterAll(async () => {
  await index?.close();
  await admin?.end();
  await server?.stop();
});

let counter = 0;
function run(extra: Partial<CatalogEntry> = {}): PublishedRun {
  counter += 1;
  const runId = `01JE${String(counter).padStart(22, '0')}`;
  const traceId = counter.toString(16).padStart(32, 'c');
  const entry: CatalogEntry = {
    runId, kind: 'agent', subject: 'coder', traceId, status: 'completed', startedMs: 1_764_000_000_000 + counter,
    durationSeconds: 1.5, model: 'gpt-4o', project: null, session: null, tokens: 10, costUsd: 0.01, pinned: false,
    mtimeMs: 1, bytes: 100, text: `run number ${counter}`, metadata: { run_id: runId, agent_id: 'coder', status: 'completed' }, ...extra,
  };
  return { kind: 'agent', runId, traceId, status: entry.status, replayOf: null, pinned: false, entry };
}

const ids = (catalog: RunCatalog): unknown[] => catalog.query({ limit: 1000 }).runs.map((r) => r.run_id);

describe('IndexMirror', () => {
  it('follows the shared index every poll, logs an outage once and catches up after it', async () => {
    const dir = await makeTempDir('paracle-mirror-');
    const { logger, messages } = captureLogger();
    const catalog = await RunCatalog.open(dir, () => undefined, index);
    const mirror = new IndexMirror(catalog, logger, 100);
    try {
      await mirror.start();
      const first = run();
      await index.publish(first);
      await expect.poll(() => ids(catalog), { timeout: 5000 }).toEqual([first.runId]);
      expect(catalog.query({ text: 'RUN NUMBER', limit: 5 }).runs).toHaveLength(1);

      // PostgreSQL refuses the mirror's connections for a while: one warning, no throw.
      await admin.query(`ALTER DATABASE ${DATABASE} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [DATABASE]);
      await expect.poll(() => messages().filter((m) => /following the shared run index failed/.test(m)).length, { timeout: 5000 }).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(messages().filter((m) => /following the shared run index failed/.test(m))).toHaveLength(1);
      expect(ids(catalog)).toEqual([first.runId]);
      await admin.query(`ALTER DATABASE ${DATABASE} WITH ALLOW_CONNECTIONS true`);

      const second = run();
      await index.publish(second);
      await index.remove(first.runId);
      await expect.poll(() => ids(catalog), { timeout: 5000 }).toEqual([second.runId]);
      expect(messages()).toContain('following the shared run index again');
    } finally {
      await admin.query(`ALTER DATABASE ${DATABASE} WITH ALLOW_CONNECTIONS true`);
      await mirror.shutdown();
      await mirror.shutdown();
      catalog.close();
      await removeTempDir(dir);
    }
  });

  it('applies its replica\'s own changes at once and keeps its cursor across a reopen', async () => {
    const dir = await makeTempDir('paracle-mirror-');
    const logs: string[] = [];
    let catalog = await RunCatalog.open(dir, (message) => logs.push(message), index);
    const mirror = new IndexMirror(catalog, captureLogger().logger);
    const own = run({ pinned: true });
    await index.publish(own);
    mirror.apply([{ runId: own.runId, entry: own.entry }]);
    expect(catalog.query({ limit: 1000 }).runs.find((r) => r.run_id === own.runId)).toMatchObject({ pinned: true });
    await mirror.shutdown();
    catalog.close();
    logs.length = 0;
    // Reopened: no resync, only what changed since its cursor.
    catalog = await RunCatalog.open(dir, (message) => logs.push(message), index);
    expect(logs).toEqual([]);
    expect(ids(catalog)).toContain(own.runId);
    catalog.close();
    await removeTempDir(dir);
  });

  it('resyncs an index built from run directories, and never reads the kind folders', async () => {
    const dir = await makeTempDir('paracle-mirror-');
    try {
      // A local store's index over runs that are not in the shared index.
      const local = await writeFixtureStore(dir, { count: 5, index: true });
      const logs: string[] = [];
      const catalog = await RunCatalog.open(dir, (message) => logs.push(message), index);
      expect(logs[0]).toBe('resyncing the run index from the shared index');
      const listed = ids(catalog);
      expect(listed.length).toBe(await index.count());
      for (const r of local) expect(listed).not.toContain(r.runId);
      await expect(catalog.upsert({ kind: 'agent', runId: local[0]!.runId })).rejects.toThrow(/follows the shared index/);
      await catalog.refresh();
      expect(ids(catalog)).toEqual(listed);
      // A process opening the same file in local mode rebuilds it from the run directories;
      // the mirror's next poll notices and resyncs.
      const wrong = await RunCatalog.open(dir);
      expect(ids(wrong)).toEqual(local.map((r) => r.runId));
      wrong.close();
      logs.length = 0;
      await catalog.follow();
      expect(logs[0]).toBe('resyncing the run index from the shared index');
      expect(ids(catalog)).toEqual(listed);
      catalog.close();
    } finally {
      await removeTempDir(dir);
    }
  });
});
