import { cp } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { parseMasterKey, type MasterKey } from '../../src/crypt/index.js';
import { ConflictError } from '../../src/lib/index.js';
import { Maintenance, SharedMaintenanceLease, type RunsPolicy } from '../../src/maintenance/index.js';
import { MAINTENANCE_JOBS, type MaintenanceJob } from '../../src/model/index.js';
import {
  CatalogFollower,
  listRunLocations,
  openSharedStore,
  openStoreEncryption,
  publishRun,
  RunCatalog,
  RunStore,
  setPinned,
  useSharedStore,
  type SharedStore,
} from '../../src/store/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { DAY_MS, NOW_MS, writeAgedRuns, type AgedRun } from '../helpers/aged-runs.js';
import { makeTempDir, removeTempDir } from '../helpers/daemon.js';
import { createDatabase } from '../helpers/pg-database.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { textArtifact } from '../unit/store/records.js';

// The four jobs on the shared backend (real PostgreSQL, real S3 API): the same store as the
// same job makes of a local runs dir with the same runs, and the job runs once across
// replicas (a PostgreSQL advisory lock).
let postgres: TestPostgres;
let s3: TestS3;
let databases = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), s3?.stop()]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database and key prefix: each test its own shared store. */
interface Backend {
  url: string;
  prefix: string;
}

async function freshBackend(): Promise<Backend> {
  databases += 1;
  const name = `maint${databases}`;
  return { url: await createDatabase(postgres, name), prefix: `${name}/` };
}

/** A replica: its own runs dir (staging, caches) and connections, its index a mirror of the shared one. */
interface Replica {
  runsDir: string;
  shared: SharedStore;
  store: RunStore;
  maintenance(runs?: Record<string, unknown>, nowMs?: number): Maintenance;
}

const MASTER = parseMasterKey(Buffer.alloc(32, 9).toString('base64'), 'test key');

async function startReplica(backend: Backend, master: MasterKey | null = null): Promise<Replica> {
  const runsDir = await makeTempDir('paracle-replica-');
  // Each replica's runs dir is its own store (its own store key); run data keys come from the shared one.
  if (master) openStoreEncryption(runsDir, master);
  const shared = await openSharedStore({ s3: s3.options(backend.prefix), postgresUrl: backend.url });
  useSharedStore(runsDir, shared);
  const follower = await CatalogFollower.open(runsDir, silentLogger(), shared);
  shared.onChange((changes) => follower.published(changes));
  cleanups.push(async () => {
    await follower.shutdown();
    useSharedStore(runsDir, null);
    await shared.close();
    await removeTempDir(runsDir);
  });
  const store = follower.store;
  return { runsDir, shared, store, maintenance: (runs = {}, nowMs = NOW_MS) => maintenanceOf(store, runs, nowMs) };
}

function policy(runs: Record<string, unknown>): RunsPolicy {
  return { ...defaultConfig().runs, ...runs } as RunsPolicy;
}

function maintenanceOf(store: RunStore, runs: Record<string, unknown>, nowMs: number): Maintenance {
  return new Maintenance({ store, policy: policy(runs), logger: silentLogger(), clock: () => nowMs });
}

/** A local store of `runs` (pinned: indexes into them), and the same runs published to `backend`. */
async function twinStores(
  backend: Backend,
  runs: AgedRun[],
  pinned: number[] = [],
  master: MasterKey | null = null,
): Promise<{ local: RunStore; shared: Replica; runIds: string[] }> {
  const localDir = await makeTempDir('paracle-local-');
  if (master) openStoreEncryption(localDir, master);
  const written = await writeAgedRuns(localDir, runs);
  for (const index of pinned) await setPinned(localDir, { kind: written[index]!.spec.kind ?? 'agent', runId: written[index]!.runId }, true);
  // The seeding replica publishes a copy of the very same run directories.
  const seed = await startReplica(backend, master);
  await cp(localDir, seed.runsDir, { recursive: true, preserveTimestamps: true, force: true });
  if (master) openStoreEncryption(seed.runsDir, master);
  for (const location of await listRunLocations(seed.runsDir)) await publishRun(seed.runsDir, seed.shared, location);
  const local = new RunStore(localDir, await RunCatalog.open(localDir));
  cleanups.push(async () => {
    local.catalog.close();
    await removeTempDir(localDir);
  });
  const replica = await startReplica(backend, master);
  return { local, shared: replica, runIds: written.map((w) => w.runId) };
}

/** What a reader gets of every run of `runIds` (live or archived): detail, files and artifacts; null once gone. */
async function contents(store: RunStore, runIds: readonly string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const runId of runIds) {
    const detail = await store.get(runId).catch(() => null);
    if (detail === null) {
      out[runId] = null;
      continue;
    }
    const files: Record<string, string> = {};
    for (const key of ['input', 'output', 'trace', 'logs'] as const) {
      files[key] = (await buffer(await store.openFile(runId, key))).toString('base64');
    }
    for (const artifact of await store.artifacts(runId)) {
      files[`artifacts/${artifact.path}`] = (await buffer(await store.openArtifact(runId, artifact.path))).toString('base64');
    }
    out[runId] = { detail, files, artifacts: await store.artifacts(runId) };
  }
  return out;
}

/** The live runs as the index lists them (newest first), with the fields the list shows. */
function listed(store: RunStore): unknown[] {
  return store.list({ limit: 500 }).runs;
}

/** Runs `job` on both stores and checks they come out alike, reports included. */
async function sameOutcome(
  twins: { local: RunStore; shared: Replica; runIds: string[] },
  job: MaintenanceJob,
  runs: Record<string, unknown>,
  nowMs = NOW_MS,
  actions = 1,
): Promise<void> {
  const localReport = await maintenanceOf(twins.local, runs, nowMs).run(job);
  expect(localReport.actions.length >= actions, 'the job has something to do').toBe(true);
  const sharedReport = await twins.shared.maintenance(runs, nowMs).run(job);
  expect(sharedReport.failed, JSON.stringify(sharedReport.actions.filter((a) => a.error))).toBe(0);
  expect(sharedReport).toEqual(localReport);
  expect(await contents(twins.shared.store, twins.runIds)).toEqual(await contents(twins.local, twins.runIds));
  expect(listed(twins.shared.store)).toEqual(listed(twins.local));
}

// Up to 7 s a test alone (a store published, two jobs run): bounded at 90 s for a loaded machine.
describe('maintenance jobs on the shared backend', { timeout: 90_000 }, () => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await freshBackend();
  });

  it('retention archives what it archives locally, keeps pinned runs, and the archives read back identical', async () => {
    const runs: AgedRun[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ id: 'coder', ageDays: i + 1, children: [{}, { error: true }] })),
      ...Array.from({ length: 4 }, (_, i) => ({ id: 'research', ageDays: i + 2, kind: 'workflow' as const })),
    ];
    const twins = await twinStores(backend, runs, [5]);
    await sameOutcome(twins, 'retention', { mode: 'full', max_runs_per_agent: 2, retention_days: 3650 });
    // Archived: 3 coder runs (the 6th is pinned) and 2 workflows; nothing of them is left in the live objects.
    const archived = twins.runIds.filter((_, i) => [2, 3, 4, 8, 9].includes(i));
    for (const runId of archived) expect((await twins.shared.store.get(runId)).place).toBe('archive');
    expect(await twins.shared.shared.index.count()).toBe(runs.length - archived.length);
    const live = await twins.shared.shared.objects.list('agents');
    expect(archived.some((runId) => live.some((o) => o.path.startsWith(`${runId}/`)))).toBe(false);
    // The staging copies the job checked out are gone again.
    expect((await listRunLocations(twins.shared.runsDir).catch(() => [])).length).toBe(0);
  });

  it('retention deletes what it deletes locally when archive is false', async () => {
    const twins = await twinStores(backend, Array.from({ length: 5 }, (_, i) => ({ id: 'coder', ageDays: i * 20 + 1 })));
    await sameOutcome(twins, 'retention', { archive: false, retention_days: 30 });
    expect(await twins.shared.shared.index.count()).toBe(2);
    expect(await twins.shared.shared.objects.list('.archive')).toEqual([]);
  });

  it('sampling trims the same traces', async () => {
    const runs = Array.from({ length: 8 }, (_, i) => ({ id: 'coder', ageDays: i + 1, children: [{}, { error: i % 3 === 0 }, {}] }));
    const twins = await twinStores(backend, runs);
    await sameOutcome(twins, 'sampling', { traces: { sample_after_runs: 3, sample_rate: 0 } });
  });

  it('compression compresses the same artifacts, which read back as written', async () => {
    const big = textArtifact('data/big.txt', 'a line of tool output\n'.repeat(4000));
    const runs = [
      { id: 'coder', ageDays: 1, artifacts: [big, textArtifact('small.md', '# small\n')] },
      { id: 'coder', ageDays: 2 },
    ];
    const twins = await twinStores(backend, runs);
    await sameOutcome(twins, 'compression', { artifacts: { compress_over_bytes: 1000 } });
    expect((await twins.shared.store.artifacts(twins.runIds[0]!)).find((a) => a.path === 'data/big.txt')).toMatchObject({ compressed: true });
  });

  it('on an encrypted store, compression and retention leave what they leave locally, sealed, and the archives open with the key', async () => {
    const big = textArtifact('data/big.txt', 'a sealed line of tool output\n'.repeat(4000));
    const runs = Array.from({ length: 4 }, (_, i) => ({ id: 'coder', ageDays: i + 1, artifacts: [big] }));
    const twins = await twinStores(backend, runs, [], MASTER);
    await sameOutcome(twins, 'compression', { artifacts: { compress_over_bytes: 1000 } });
    await sameOutcome(twins, 'retention', { retention_days: 2 });
    const archives = await twins.shared.shared.objects.list('.archive');
    expect(archives).toHaveLength(2);
    // Sealed: the runs' input is in no object (archives looked into after gunzip).
    const objects = [...archives.map((a) => `.archive/${a.path}`), ...(await twins.shared.shared.objects.list('agents')).map((o) => `agents/${o.path}`)];
    for (const key of objects) {
      const bytes = (await twins.shared.shared.objects.get(key))!;
      expect((key.endsWith('.tar.gz') ? gunzipSync(bytes) : bytes).includes('task of coder'), key).toBe(false);
    }
    expect(objects.some((key) => key.endsWith('/input.json'))).toBe(true);
  });

  it('archival deletes the same expired archives', async () => {
    const twins = await twinStores(backend, Array.from({ length: 4 }, (_, i) => ({ id: 'coder', ageDays: i + 1 })));
    await sameOutcome(twins, 'retention', { retention_days: 2 });
    await sameOutcome(twins, 'archival', { archive_retention_days: 10 }, NOW_MS + 5 * DAY_MS, 0);
    expect((await twins.shared.shared.objects.list('.archive')).length).toBe(2);
    await sameOutcome(twins, 'archival', { archive_retention_days: 10 }, NOW_MS + 11 * DAY_MS);
    expect(await twins.shared.shared.objects.list('.archive')).toEqual([]);
  });
});

describe('the maintenance lease on the shared backend', () => {
  it('lets one replica run a job at a time, and is free again when its holder releases it or loses its connection', async () => {
    const backend = await freshBackend();
    const [one, two] = [await startReplica(backend), await startReplica(backend)];
    const holder = new SharedMaintenanceLease(one.shared.index);
    expect(await holder.acquire()).toBe(true);
    expect(await new SharedMaintenanceLease(two.shared.index).acquire()).toBe(false);
    for (const job of MAINTENANCE_JOBS) {
      await expect(two.maintenance().run(job)).rejects.toBeInstanceOf(ConflictError);
      await expect(one.maintenance().run(job)).rejects.toBeInstanceOf(ConflictError);
    }
    await holder.release();
    expect((await two.maintenance().run('retention')).failed).toBe(0);

    // A holder whose session ends (killed, its connection cut) loses the lease at once.
    const lost = new SharedMaintenanceLease(one.shared.index);
    expect(await lost.acquire()).toBe(true);
    const admin = new pg.Client({ connectionString: backend.url });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`);
    await admin.end();
    await expect.poll(() => lost.renew(), { timeout: 10_000 }).toBe(false);
    const next = new SharedMaintenanceLease(two.shared.index);
    expect(await next.acquire()).toBe(true);
    await next.release();
  });
});
