import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterKey } from '../../src/crypt/index.js';
import { pendingRecord } from '../../src/replay/pending.js';
import { silentLogger } from '../../src/telemetry/index.js';
import {
  archiveFile,
  archiveRun,
  compressRunFile,
  CatalogFollower,
  openSharedStore,
  openStoreEncryption,
  RunCatalog,
  RunStore,
  shredStoredRun,
  useSharedStore,
  type RunFileKey,
  type SharedStore,
} from '../../src/store/index.js';
import { publishRun, unpublishRun } from '../../src/store/shared/publish.js';
import { writeStoredAtomic } from '../../src/store/stored-file.js';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { emitAgentRun } from '../helpers/agent-traffic.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeExporter, type TestTracing } from '../helpers/otel.js';
import { postSpans, REPLAY_FIXTURES, requestReplay, runSpans, waitForFinal } from '../helpers/replay.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { createDatabase } from '../helpers/pg-database.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

/**
 * The query suite on both backends: the same runs in a local store and on the shared
 * backend (real PostgreSQL, s3rver) give the same answers to every read, whether asked of
 * the replica that holds them in its mirror from the start or of another one (a second
 * mirror of the same shared index), in a plaintext and in an encrypted store.
 */

const NOW = Date.now();
const DAY = 86_400_000;
const MASTER = parseMasterKey(Buffer.alloc(32, 7).toString('base64'), 'test key');

let postgres: TestPostgres;
let s3: TestS3;
beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), s3?.stop()]);
});

/** A RunStore over a replica's runs dir on the shared backend, its index a mirror. */
interface Replica {
  store: RunStore;
  shared: SharedStore;
  index: CatalogFollower;
}

async function openReplica(runsDir: string, prefix: string, database: string, encrypted: boolean): Promise<Replica> {
  if (encrypted) openStoreEncryption(runsDir, MASTER);
  const shared = await openSharedStore({ s3: s3.options(prefix), postgresUrl: database });
  useSharedStore(runsDir, shared);
  // As the daemon wires it: the index follows the shared one, and this replica's commits.
  const index = await CatalogFollower.open(runsDir, silentLogger(), shared);
  shared.onChange((changes) => index.published(changes));
  await index.start();
  return { store: index.store, shared, index };
}

async function closeReplica(replica: Replica): Promise<void> {
  await replica.index.shutdown();
  useSharedStore(replica.store.runsDir, null);
  await replica.shared.close();
}

async function text(stream: Promise<NodeJS.ReadableStream>): Promise<string> {
  return (await buffer(await stream)).toString('utf8');
}

/** What an answer is, or the error it throws (class and message), to compare both. */
async function outcome<T>(answer: () => Promise<T> | T): Promise<T | { error: string; message: string }> {
  try {
    return await answer();
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe.each([
  { name: 'plaintext', encrypted: false, prefix: 'plain/' },
  { name: 'encrypted', encrypted: true, prefix: 'sealed/' },
])('the query suite on a local store and on the shared backend ($name)', ({ encrypted, prefix }) => {
  let root: string;
  let fixture: FixtureRun[];
  let local: RunStore;
  let first: Replica;
  let second: Replica;
  let stores: [string, RunStore][];
  let database: string;

  beforeAll(async () => {
    root = await makeTempDir('paracle-shared-query-');
    const localDir = join(root, 'local');
    const staging = join(root, 'staging');
    for (const dir of [localDir, staging, join(root, 'a'), join(root, 'b')]) await mkdir(dir, { mode: 0o700 });
    database = await createDatabase(postgres, prefix.replace('/', ''));
    if (encrypted) openStoreEncryption(localDir, MASTER);
    fixture = await writeFixtureStore(localDir, { count: 60, nowMs: NOW, index: true });
    local = new RunStore(localDir, await RunCatalog.open(localDir));
    // The same runs, published from a staging copy as a replica's writes publish them.
    await cp(localDir, staging, { recursive: true, filter: (path) => !path.includes('/.index') });
    const publisher = await openReplica(staging, prefix, database, encrypted);
    for (const run of fixture) await publishRun(staging, publisher.shared, { kind: run.kind, runId: run.runId });
    await closeReplica(publisher);
    first = await openReplica(join(root, 'a'), prefix, database, encrypted);
    second = await openReplica(join(root, 'b'), prefix, database, encrypted);
    stores = [['local', local], ['replica a', first.store], ['replica b', second.store]];
  }, 120_000);
  afterAll(async () => {
    local?.catalog.close();
    if (first) await closeReplica(first);
    if (second) await closeReplica(second);
    await removeTempDir(root);
  });

  /** Asks every store the same thing; expects one answer (or one error) from all. */
  async function same<T>(ask: (store: RunStore) => Promise<T> | T): Promise<T> {
    const answers: unknown[] = [];
    for (const [, store] of stores) answers.push(await outcome(() => ask(store)));
    answers.slice(1).forEach((answer, i) => expect(answer, stores[i + 1]![0]).toEqual(answers[0]));
    return answers[0] as T;
  }

  const withArtifacts = (): FixtureRun => fixture.find((r) => r.kind === 'agent' && r.artifacts.length > 0)!;
  const workflow = (): FixtureRun => fixture.find((r) => r.kind === 'workflow')!;

  it('lists, filters, searches text and pages with a cursor alike', async () => {
    const all = await same((s) => s.list({ limit: 1000 }));
    expect(all.runs.map((r) => r.run_id)).toEqual(fixture.map((r) => r.runId));
    const coder = await same((s) => s.list({ agent: 'coder', status: 'completed', sinceMs: NOW - 7 * DAY, limit: 1000 }));
    expect(coder.runs.length).toBeGreaterThan(0);
    const target = fixture[7]!;
    expect((await same((s) => s.list({ text: target.marker.toUpperCase(), limit: 10 }))).runs.map((r) => r.run_id)).toEqual([target.runId]);
    await same((s) => s.list({ model: 'claude-3', untilMs: NOW - 10 * DAY, limit: 1000 }));
    await same((s) => s.list({ session: 'conv-a', kind: 'agent', limit: 1000 }));
    await same((s) => s.list({ workflow: 'research', limit: 1000 }));
    expect((await same((s) => s.list({ traceId: target.traceId, limit: 5 }))).runs.map((r) => r.run_id)).toEqual([target.runId]);
    await same((s) => s.list({ subjects: { agents: ['rev*'], workflows: [] }, limit: 1000 }));
    let cursor: string | undefined;
    const paged: unknown[] = [];
    do {
      const page = await same((s) => s.list({ limit: 7, cursor }));
      paged.push(...page.runs.map((r) => r.run_id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(fixture.map((r) => r.runId));
    await same((s) => s.list({ limit: 0 }));
  });

  it('gives the same stats and series', async () => {
    for (const by of [undefined, 'agent', 'model', 'status', 'session', 'workflow']) {
      const stats = await same((s) => s.stats({ by, sinceMs: NOW - 14 * DAY }));
      expect(stats.groups.length).toBeGreaterThan(0);
    }
    const series = await same((s) => s.statsSeries({ by: 'agent', sinceMs: NOW - 7 * DAY, untilMs: NOW, stepMs: DAY }, NOW));
    expect(series.series.length).toBeGreaterThan(0);
    await same((s) => s.stats({ by: 'colour' }));
  });

  it('gives each run\'s metadata, files, content, artifacts and spans alike', async () => {
    const runs = [withArtifacts(), workflow(), fixture[0]!, fixture.find((r) => r.status === 'running')!];
    for (const run of runs) {
      const detail = await same((s) => s.get(run.runId));
      expect(detail).toMatchObject({ run_id: run.runId, place: 'live', pinned: false });
      expect(detail.files.length).toBeGreaterThan(1);
      for (const key of ['input', 'output', 'trace', 'logs'] as RunFileKey[]) await same((s) => text(s.openFile(run.runId, key)));
      await same((s) => s.artifacts(run.runId));
      const spans = await same((s) => s.spans(run.runId, { offset: 0, limit: 50 }));
      expect(spans.total).toBe(1);
      await same((s) => s.span(run.runId, spans.spans[0]!.span_id));
      await same((s) => s.subjectOf(run.runId));
    }
    const artifacts = await same((s) => s.artifacts(withArtifacts().runId));
    expect(artifacts.map((a) => a.path)).toEqual(['out/data.json', 'report.md']);
    expect(await same((s) => text(s.openArtifact(withArtifacts().runId, 'out/data.json')))).toBe(`out/data.json of ${withArtifacts().runId}\n`);
    const step = workflow();
    await same((s) => text(s.openFile(step.runId, 'output', 'plan')));
    await same((s) => s.artifacts(step.runId, 'plan'));
  });

  it('lets go of objects whose reads are abandoned (the connections are not used up)', async () => {
    const run = fixture.find((r) => r.kind === 'agent' && r.artifacts.length === 0 && r.status === 'failed')!;
    // An artifact too big to be read ahead whole: an abandoned read holds its connection
    // until it is let go.
    const staging = join(root, 'staging');
    const publisher = await openReplica(staging, prefix, database, encrypted);
    try {
      await writeStoredAtomic(join(staging, 'agents', run.runId, 'artifacts', 'big.bin'), randomBytes(4 << 20));
      await publishRun(staging, publisher.shared, { kind: 'agent', runId: run.runId });
    } finally {
      await closeReplica(publisher);
    }
    // More abandoned reads than the SDK keeps connections (50); each must free its own, or
    // the next read waits for a connection's idle timeout (60 s).
    for (let i = 0; i < 60; i++) (await first.store.openArtifact(run.runId, 'big.bin')).destroy();
    const read = await buffer(await first.store.openArtifact(run.runId, 'big.bin'));
    expect(read.length).toBe(4 << 20);
  }, 20_000);

  it('refuses unknown runs, bad ids and traversal alike', async () => {
    const run = withArtifacts();
    const refusals = [
      await same((s) => s.get('01HN7X8K9M2PQRSTVVWXYZ3456')),
      await same((s) => s.get('../agents')),
      await same((s) => s.openArtifact(run.runId, '../metadata.yaml')),
      await same((s) => s.openArtifact(run.runId, 'nope.txt')),
      await same((s) => s.openArtifact(run.runId, '.pinned')),
      await same((s) => s.openFile(run.runId, 'output', 'plan')),
      await same((s) => s.spans('01HN7X8K9M2PQRSTVVWXYZ3456', { offset: 0, limit: 5 })),
    ];
    expect(refusals.map((r) => (r as { error?: string }).error)).toEqual([
      'NotFoundError', 'InvalidInputError', 'InvalidInputError', 'NotFoundError', 'NotFoundError', 'NotFoundError', 'NotFoundError',
    ]);
  });

  it('pins and unpins alike; the other replica\'s mirror follows within its poll', async () => {
    const run = fixture[4]!;
    const pinnedIn = async (store: RunStore): Promise<boolean | undefined> =>
      store.list({ limit: 1000 }).runs.find((r) => r.run_id === run.runId)?.pinned as boolean | undefined;
    for (const store of [local, first.store]) expect(await store.setPinned(run.runId, true)).toEqual({ run_id: run.runId, pinned: true });
    // Read-your-writes on the replica that pinned; the other follows the shared index.
    expect(await pinnedIn(first.store)).toBe(true);
    await expect.poll(() => pinnedIn(second.store), { timeout: 5000 }).toBe(true);
    expect((await same((s) => s.get(run.runId))).pinned).toBe(true);
    await same((s) => s.list({ limit: 1000 }));
    for (const store of [local, second.store]) await store.setPinned(run.runId, false);
    await expect.poll(() => pinnedIn(first.store), { timeout: 5000 }).toBe(false);
    expect((await same((s) => s.get(run.runId))).pinned).toBe(false);
  });

  it('shreds a run on every replica, its objects and keys included', async () => {
    const run = withArtifacts();
    // Replica b read the run, so it holds a copy of its data key; a's shred reaches it too.
    const copy = join(second.store.runsDir, '.keys', `${run.runId}.key`);
    expect(existsSync(copy)).toBe(encrypted);
    const shredded = await shredStoredRun(local, run.runId);
    expect(await shredStoredRun(first.store, run.runId)).toEqual(shredded);
    expect(shredded.keys_destroyed).toEqual(encrypted ? [run.runId] : []);
    await expect.poll(() => second.store.list({ limit: 1000 }).runs.length, { timeout: 5000 }).toBe(first.store.list({ limit: 1000 }).runs.length);
    expect(await same((s) => s.get(run.runId))).toMatchObject({ error: 'NotFoundError' });
    expect((await same((s) => s.list({ limit: 1000 }))).runs.map((r) => r.run_id)).not.toContain(run.runId);
    const folder = run.kind === 'agent' ? 'agents' : 'workflows';
    expect(await first.shared.objects.list(`${folder}/${run.runId}`)).toEqual([]);
    expect(await first.shared.objects.get(`.keys/${run.runId}.key`)).toBeNull();
    expect(await first.shared.index.row(run.runId)).toBeNull();
    await expect.poll(() => existsSync(copy), { timeout: 5000 }).toBe(false);
  });

  it('lists a replay\'s pending run on every replica, as the run of its trace', async () => {
    const original = fixture.find((r) => r.kind === 'agent' && r.status === 'completed')!;
    const traceId = 'ab'.repeat(16);
    const write = {
      traceId,
      runId: '01KB0000000000000000000000',
      record: pendingRecord({ runId: original.runId, kind: 'agent', subjectId: original.subject, name: null }, traceId, NOW),
      input: Buffer.from(JSON.stringify({ task: `Task ${original.marker}` })),
    };
    await local.createReplay(write);
    await first.store.createReplay(write);
    // At once on the replica that made it; within a poll on the other.
    expect(first.store.list({ traceId, limit: 5 }).runs).toHaveLength(1);
    await expect.poll(() => second.store.list({ traceId, limit: 5 }).runs.length, { timeout: 5000 }).toBe(1);
    const pending = await same((s) => s.list({ traceId, limit: 5 }));
    expect(pending.runs).toMatchObject([{ run_id: write.runId, status: 'pending', replay_of: original.runId }]);
    await same((s) => s.get(write.runId));
    await same((s) => text(s.openFile(write.runId, 'input')));
    expect(await first.shared.index.locateTrace(traceId)).toMatchObject({ runId: write.runId, status: 'pending', replayOf: original.runId });
  });

  it('reads files stored compressed alike, inflated, with their original sizes', async () => {
    const run = fixture.find((r) => r.kind === 'agent' && r.status === 'completed' && r.artifacts.length === 0)!;
    const folder = join('agents', run.runId);
    // Compressed in place as the compression job does, on the local store and on a staging
    // copy then published, as the job does on the shared backend.
    expect(await compressRunFile(join(local.runsDir, folder), 'trace.json')).not.toBeNull();
    const staging = join(root, 'staging');
    const publisher = await openReplica(staging, prefix, database, encrypted);
    try {
      expect(await compressRunFile(join(staging, folder), 'trace.json')).not.toBeNull();
      await publishRun(staging, publisher.shared, { kind: 'agent', runId: run.runId });
    } finally {
      await closeReplica(publisher);
    }
    const detail = await same((s) => s.get(run.runId));
    expect(detail.files.find((f) => f.path === 'trace.json')).toMatchObject({ compressed: true });
    const trace = await same((s) => text(s.openFile(run.runId, 'trace')));
    expect(JSON.parse(trace)).toMatchObject({ resourceSpans: [{}] });
    await same((s) => s.spans(run.runId, { offset: 0, limit: 5 }));
  });

  it('reads an archived run alike (its archive object downloaded), and shreds it alike', async () => {
    const run = fixture.find((r) => r.kind === 'agent' && r.artifacts.length > 0 && r.runId !== withArtifacts().runId) ?? workflow();
    const location = { kind: run.kind, runId: run.runId };
    // Archived as the archival job does on each backend: the archive file, or its object.
    await archiveRun(local.runsDir, location, NOW);
    await local.catalog.apply([{ remove: run.runId }]);
    const file = archiveFile(local.runsDir, run.kind, run.runId);
    await first.shared.objects.putFile(relative(local.runsDir, file), file);
    await unpublishRun(first.store.runsDir, first.shared, location);
    await expect.poll(() => second.store.list({ traceId: run.traceId, limit: 5 }).runs.length, { timeout: 5000 }).toBe(0);
    const detail = await same((s) => s.get(run.runId));
    expect(detail).toMatchObject({ run_id: run.runId, place: 'archive', pinned: false });
    for (const key of ['input', 'output', 'trace', 'logs'] as RunFileKey[]) await same((s) => text(s.openFile(run.runId, key)));
    await same((s) => s.artifacts(run.runId));
    await same((s) => s.spans(run.runId, { offset: 0, limit: 50 }));
    await same((s) => s.setPinned(run.runId, true));
    await same((s) => s.list({ limit: 1000 }));
    const shredded = await shredStoredRun(local, run.runId);
    expect(shredded).toMatchObject({ place: 'archive' });
    expect(await shredStoredRun(first.store, run.runId)).toEqual(shredded);
    expect(await same((s) => s.get(run.runId))).toMatchObject({ error: 'NotFoundError' });
    expect(await first.shared.objects.list('.archive')).toEqual([]);
  });

  it('resyncs a mirror from the shared index (reindex) to the same answers', async () => {
    expect(await second.store.catalog.rebuild('asked')).toBe(first.store.catalog.query({ limit: 1000 }).runs.length);
    await same((s) => s.list({ limit: 1000 }));
    await same((s) => s.stats({ by: 'agent' }));
    // Only the shared index's runs: the replica's kind folders hold staging copies at most.
    expect(await readdir(join(second.store.runsDir))).not.toContain('agents');
  });
});


describe('the HTTP API of a local daemon and of two daemons on one shared backend', () => {
  let local: TestDaemon;
  let first: TestDaemon;
  let second: TestDaemon;
  let daemons: [string, TestDaemon][];
  let tracing: TestTracing;
  let traces: string[];

  beforeAll(async () => {
    const database = await createDatabase(postgres, 'daemons');
    const runs = { backend: 'shared', s3: { endpoint: s3.endpoint, bucket: s3.bucket, prefix: 'daemons/', region: 'us-east-1', force_path_style: true }, postgres: { url: database } };
    [local, second] = await Promise.all([startTestDaemon(), startTestDaemon({ runs })]);
    // Daemon a replays agent `batchy` with a command whose spans go to daemon b, as the
    // Collector would route the replay's trace to another replica.
    const command = ['env', `OTEL_EXPORTER_OTLP_ENDPOINT=${second.otlpUrl}`, process.execPath, REPLAY_FIXTURES.otlpAgent];
    first = await startTestDaemon({ runs, replay: { agents: { batchy: { command } } } });
    daemons = [['local', local], ['daemon a', first], ['daemon b', second]];
    // One agent, two exporters: the very same spans reach the local daemon and daemon a.
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shared-query' }),
      spanProcessors: [local, first].map((d) => new BatchSpanProcessor(makeExporter('http-json', d.otlpUrl), { scheduledDelayMillis: 50 })),
    });
    tracing = { tracer: provider.getTracer('paracle-tests', '1.0.0'), provider, flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
    traces = [
      await emitAgentRun(tracing, {
        agent: 'coder',
        input: { task: 'alpha' },
        output: { ok: true },
        calls: [
          { model: 'gpt-4o', provider: 'openai', input: 1200, output: 350, answer: 'one' },
          { model: 'gpt-4o', provider: 'openai', input: 800, output: 100, answer: 'two' },
        ],
        tool: 'read_file',
        artifacts: [{ name: 'notes/report.md', content: '# report\n' }],
      }),
      await emitAgentRun(tracing, { agent: 'coder', input: { task: 'beta' }, calls: [{ model: 'gpt-4o-mini', provider: 'openai', input: 10, output: 1, answer: 'no', fails: 'the provider said no' }] }),
      await emitAgentRun(tracing, { agent: 'planner', input: { task: 'gamma' }, output: 'planned', calls: [{ model: 'claude-3', provider: 'anthropic', input: 50, output: 5, answer: 'plan' }], sessionId: 'conv-q' }),
    ];
    await tracing.flush();
    const written = async (d: TestDaemon): Promise<boolean> => {
      const found = (await getJson(d, '/api/v1/runs?limit=100')).body.runs as { trace_id: string; status: string }[];
      return traces.every((t) => found.some((r) => r.trace_id === t && ['completed', 'failed'].includes(r.status)));
    };
    for (const [name, d] of daemons) await waitUntil(() => written(d), 20_000, `the runs on ${name}`);
  }, 120_000);
  afterAll(async () => {
    await tracing?.shutdown();
    await Promise.all([local, first, second].map((d) => d?.stop()));
  });

  async function getJson(d: TestDaemon, path: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${d.httpUrl}${path}`, { method });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  }

  /** Asks every daemon for `path`; expects one status and body from all. */
  async function same(path: string, method = 'GET'): Promise<Record<string, unknown>> {
    const answers: { status: number; body: Record<string, unknown> }[] = [];
    for (const [, d] of daemons) answers.push(await getJson(d, path, method));
    answers.slice(1).forEach((answer, i) => expect(answer, `${daemons[i + 1]![0]} ${method} ${path}`).toEqual(answers[0]));
    return answers[0]!.body;
  }

  async function waitUntilRun(d: TestDaemon, traceId: string): Promise<Record<string, unknown>> {
    let run: Record<string, unknown> | undefined;
    await waitUntil(async () => {
      run = ((await getJson(d, `/api/v1/runs?trace_id=${traceId}`)).body.runs as Record<string, unknown>[])[0];
      return run?.status === 'completed';
    }, 20_000, `the run of trace ${traceId}`);
    return run!;
  }

  const runOf = async (traceId: string): Promise<string> =>
    ((await getJson(local, `/api/v1/runs?trace_id=${traceId}`)).body.runs as { run_id: string }[])[0]!.run_id;

  it('answers list, search, stats and series alike', async () => {
    // A fixed window: `since=2h` would move between the daemons' answers.
    const until = new Date().toISOString();
    const since = new Date(Date.parse(until) - 2 * 3_600_000).toISOString();
    const listed = await same('/api/v1/runs?limit=100');
    expect((listed.runs as unknown[]).length).toBe(3);
    for (const query of ['agent=coder', 'status=failed', 'text=ALPHA', 'model=claude-3', 'session=conv-q', 'kind=workflow', 'limit=1', `trace_id=${traces[0]}`, 'since=7y']) {
      await same(`/api/v1/runs?${query}`);
    }
    const page = await same('/api/v1/runs?limit=2');
    expect((await same(`/api/v1/runs?limit=2&cursor=${page.next_cursor as string}`)).runs).toHaveLength(1);
    for (const by of ['agent', 'model', 'status', 'session']) await same(`/api/v1/stats?by=${by}`);
    const series = await same(`/api/v1/stats/series?by=agent&since=${since}&until=${until}&step=1h`);
    expect((series.series as unknown[]).length).toBe(2);
  });

  it('answers a run, its files, artifacts and spans alike', async () => {
    for (const trace of traces) {
      const runId = await runOf(trace);
      const detail = await same(`/api/v1/runs/${runId}`);
      expect(detail).toMatchObject({ run_id: runId, place: 'live' });
      for (const file of ['input', 'output', 'trace', 'logs', 'artifacts']) await same(`/api/v1/runs/${runId}/${file}`);
      const spans = await same(`/api/v1/runs/${runId}/spans`);
      for (const span of spans.spans as { span_id: string }[]) await same(`/api/v1/runs/${runId}/spans/${span.span_id}`);
    }
    const coder = await runOf(traces[0]!);
    expect((await same(`/api/v1/runs/${coder}/artifacts/notes/report.md`)).text).toBe('# report\n');
    await same(`/api/v1/runs/${coder}/artifacts/nope.md`);
    await same('/api/v1/runs/01HN7X8K9M2PQRSTVVWXYZ3456');
  });

  it('pins on one daemon and shows it on the other within a poll; shreds alike', async () => {
    const runId = await runOf(traces[1]!);
    const listed = async (d: TestDaemon): Promise<{ run_id: string; pinned: boolean }[]> => (await getJson(d, '/api/v1/runs?limit=100')).body.runs as { run_id: string; pinned: boolean }[];
    for (const d of [local, first]) expect((await getJson(d, `/api/v1/runs/${runId}/pin`, 'PUT')).body).toEqual({ run_id: runId, pinned: true });
    // Read-your-writes on the daemon that pinned, without waiting for a poll.
    expect((await listed(first)).find((r) => r.run_id === runId)?.pinned).toBe(true);
    await expect.poll(async () => ((await getJson(second, `/api/v1/runs?limit=100`)).body.runs as { run_id: string; pinned: boolean }[]).find((r) => r.run_id === runId)?.pinned, { timeout: 5000 }).toBe(true);
    await same('/api/v1/runs?limit=100');
    await same(`/api/v1/runs/${runId}`);
    for (const d of [local, first]) expect((await getJson(d, `/api/v1/runs/${runId}?shred=true`, 'DELETE')).status).toBe(200);
    expect((await listed(first)).map((r) => r.run_id)).not.toContain(runId);
    await expect.poll(async () => ((await getJson(second, `/api/v1/runs?limit=100`)).body.runs as unknown[]).length, { timeout: 5000 }).toBe(2);
    await same('/api/v1/runs?limit=100');
    await same(`/api/v1/runs/${runId}`);
    await same('/api/v1/stats?by=agent');
  });

  it('writes a replay\'s spans that reach another daemon into the pending run the first made', async () => {
    const original = runSpans({ n: 1 }, { id: 'batchy' });
    await postSpans(first.otlpUrl, original);
    const originalId = (await waitUntilRun(first, original[0]!.traceId)).run_id as string;
    const asked = await requestReplay(first.httpUrl, originalId);
    expect(asked.status).toBe(202);
    const replayId = ((await asked.json()) as { run_id: string }).run_id;
    // Pending on both daemons from the request on, then final with the command's span.
    for (const d of [first, second]) {
      const run = await waitForFinal(d.httpUrl, replayId, 30_000);
      expect(run).toMatchObject({ run_id: replayId, status: 'completed', replay_of: originalId, agent_id: 'batchy' });
    }
    // Both read again each time: the replay's end span may still rewrite the run after it is final.
    const bothAlike = async (): Promise<boolean> => {
      const [a, b] = await Promise.all([first, second].map(async (d) => (await getJson(d, `/api/v1/runs/${replayId}`)).body));
      return isDeepStrictEqual(a, b);
    };
    await expect.poll(bothAlike, { timeout: 5000 }).toBe(true);
    const spans = (await getJson(second, `/api/v1/runs/${replayId}/spans`)).body.spans as { name: string }[];
    expect(spans.map((span) => span.name)).toContain('otlp-agent 1');
    // One run for the replay's trace, on every daemon.
    const trace = (await getJson(first, `/api/v1/runs/${replayId}`)).body.trace_id as string;
    for (const d of [first, second]) expect(((await getJson(d, `/api/v1/runs?trace_id=${trace}`)).body.runs as unknown[]).length).toBe(1);
  });
});

/** Resolves once `ready` answers true, trying every 100 ms; fails naming `what` after `timeoutMs`. */
async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
