import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterKey } from '../../../src/crypt/index.js';
import {
  checkoutRun,
  dropLocalCopy,
  localRunFiles,
  openSharedStore,
  openStoreEncryption,
  publishRun,
  runDirectory,
  runFolder,
  sweepLocalCopies,
  unpublishRun,
  type RunChange,
  type SharedStore,
} from '../../../src/store/index.js';
import { readStoredText } from '../../../src/store/stored-file.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../../helpers/fixture-store.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startS3, type TestS3 } from '../../helpers/s3.js';

const MASTER = parseMasterKey(Buffer.alloc(32, 9).toString('base64'), 'test key');

let postgres: TestPostgres;
let s3: TestS3;
let root: string;
let store: SharedStore;
const told: RunChange[] = [];

beforeAll(async () => {
  [postgres, s3, root] = await Promise.all([startPostgres(), startS3(), makeTempDir('paracle-publish-')]);
  store = await openSharedStore({ s3: s3.options('publish/'), postgresUrl: postgres.url });
  store.onChange((changes) => told.push(...changes));
}, 60_000);
afterAll(async () => {
  await store?.close();
  await s3?.stop();
  await postgres?.stop();
  await removeTempDir(root);
});

describe.each([false, true])('publishing and checking out runs (encrypted: %s)', (encrypted) => {
  let writer: string;
  let reader: string;
  let run: FixtureRun;

  beforeAll(async () => {
    writer = join(root, `writer-${encrypted}`);
    reader = join(root, `reader-${encrypted}`);
    for (const dir of [writer, reader]) {
      await mkdir(dir, { mode: 0o700 });
      // Two replicas: one master key, each its own key store.
      if (encrypted) openStoreEncryption(dir, MASTER);
    }
    const fixture = await writeFixtureStore(writer, { count: 12, nowMs: Date.UTC(2026, 10, 1) + (encrypted ? 1 : 0) });
    run = fixture.find((r) => r.kind === 'agent' && r.artifacts.length > 0)!;
  });

  it('publishes the stored bytes and checks them out on another replica, data keys included', async () => {
    const ref = { kind: run.kind, runId: run.runId };
    const seq = await publishRun(writer, store, ref);
    expect(store.localSeq(run.runId)).toBe(seq);
    expect(told.at(-1)).toMatchObject({ runId: run.runId, deleted: false, entry: { traceId: run.traceId } });
    const row = await store.index.row(run.runId);
    expect(row).toMatchObject({ traceId: run.traceId, seq, entry: { runId: run.runId, subject: run.subject } });

    const files = await localRunFiles(writer, ref);
    expect(files).toEqual(expect.arrayContaining(['metadata.yaml', 'trace.json', ...run.artifacts.map((a) => `artifacts/${a}`)]));
    expect((await store.objects.list(runFolder(ref))).map((o) => o.path).sort()).toEqual([...files].sort());

    expect(await checkoutRun(reader, store, ref)).toBe(true);
    expect(store.localSeq(run.runId)).toBe(seq);
    const from = runDirectory(writer, ref.kind, ref.runId);
    const to = runDirectory(reader, ref.kind, ref.runId);
    expect((await localRunFiles(reader, ref)).sort()).toEqual([...files].sort());
    for (const file of files) expect((await readFile(join(to, file))).equals(await readFile(join(from, file))), file).toBe(true);
    // Sealed as on disk, and readable on the other replica (its key store got the run's key).
    const metadata = await readFile(join(to, 'metadata.yaml'), 'utf8');
    expect(metadata.includes('status:')).toBe(!encrypted);
    expect(await readStoredText(join(to, 'metadata.yaml'))).toBe(await readStoredText(join(from, 'metadata.yaml')));
  });

  it('drops objects of files the run no longer has, and removes the run after the commit', async () => {
    const ref = { kind: run.kind, runId: run.runId };
    const before = store.localSeq(run.runId)!;
    await rm(join(runDirectory(writer, ref.kind, ref.runId), 'artifacts'), { recursive: true });
    const seq = await publishRun(writer, store, ref);
    expect(BigInt(seq)).toBeGreaterThan(BigInt(before));
    expect((await store.objects.list(runFolder(ref))).map((o) => o.path).sort()).toEqual((await localRunFiles(writer, ref)).sort());

    await dropLocalCopy(reader, store, ref);
    expect(store.localSeq(run.runId)).toBeUndefined();
    await unpublishRun(writer, store, ref);
    expect(told.at(-1)).toEqual({ runId: run.runId, kind: run.kind, deleted: true, entry: null });
    expect(await store.index.row(run.runId)).toBeNull();
    expect(await store.objects.list(runFolder(ref))).toEqual([]);
    expect(await checkoutRun(reader, store, ref)).toBe(false);
  });
});

describe('a replica starting on the shared backend', () => {
  it('drops the local copies the shared store holds and keeps writes it does not', async () => {
    const runsDir = join(root, 'restarting');
    await mkdir(runsDir, { mode: 0o700 });
    const [published, unpublished] = await writeFixtureStore(runsDir, { count: 2, nowMs: Date.UTC(2026, 10, 2) });
    await publishRun(runsDir, store, { kind: published!.kind, runId: published!.runId });
    // A download a crash left half done.
    await mkdir(join(runsDir, '.cache', 'checkout', `${published!.runId}.abc`), { recursive: true });
    expect(await sweepLocalCopies(runsDir, store)).toBe(1);
    const left = [...(await readdir(join(runsDir, 'agents')).catch(() => [])), ...(await readdir(join(runsDir, 'workflows')).catch(() => []))];
    expect(left).toEqual([unpublished!.runId]);
    expect(await readdir(join(runsDir, '.cache')).catch(() => [])).toEqual([]);
    expect(await store.index.row(published!.runId)).not.toBeNull();
  });
});
