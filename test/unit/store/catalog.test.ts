import { cp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryBytesSync, RunCatalog, RunStore } from '../../../src/store/index.js';
import { directoryBytes } from '../../../src/store/size.js';
import { watchRuns } from '../../../src/store/catalog/watch.js';
import { writeFixtureStore, type FixtureRun } from '../../helpers/fixture-store.js';
import { tempDir } from './records.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const DAY = 86_400_000;
let root: string;
let cleanup: () => Promise<void>;
let runsDir: string;
let fixture: FixtureRun[];

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir());
  runsDir = join(root, 'runs');
  fixture = await writeFixtureStore(runsDir, { count: 60, nowMs: NOW });
});
afterAll(async () => cleanup());

const ids = (runs: { run_id?: unknown; runId?: string }[]): unknown[] => runs.map((r) => r.run_id ?? r.runId);

describe('RunCatalog', () => {
  it('builds itself from the run directories and filters with AND', async () => {
    const logs: string[] = [];
    const catalog = await RunCatalog.open(runsDir, (message) => logs.push(message));
    try {
      expect(logs[0]).toMatch(/rebuilding/);
      const page = catalog.query({ agent: 'coder', status: 'completed', sinceMs: NOW - 7 * DAY, limit: 100 });
      const expected = fixture.filter((r) => r.kind === 'agent' && r.subject === 'coder' && r.status === 'completed' && r.startedAtMs >= NOW - 7 * DAY);
      expect(expected.length).toBeGreaterThan(0);
      expect(ids(page.runs)).toEqual(ids(expected));
      expect(catalog.query({ text: fixture[3]?.marker.toUpperCase(), limit: 5 }).runs).toHaveLength(1);
    } finally {
      catalog.close();
    }
  });

  it('pages with a cursor, newest first', async () => {
    const catalog = await RunCatalog.open(runsDir);
    try {
      const first = catalog.query({ limit: 25 });
      const second = catalog.query({ limit: 25, cursor: first.nextCursor ?? undefined });
      const third = catalog.query({ limit: 25, cursor: second.nextCursor ?? undefined });
      expect([...ids(first.runs), ...ids(second.runs), ...ids(third.runs)]).toEqual(ids(fixture));
      expect(third.nextCursor).toBeNull();
    } finally {
      catalog.close();
    }
  });

  it('rebuilds a corrupt index and picks up runs copied in or removed by hand', async () => {
    await writeFile(join(runsDir, '.index', 'runs.sqlite'), 'not a database at all'.repeat(100));
    await rm(join(runsDir, '.index', 'runs.sqlite-wal'), { force: true });
    const logs: string[] = [];
    const catalog = await RunCatalog.open(runsDir, (message) => logs.push(message));
    catalog.close();
    expect(logs.join('\n')).toMatch(/corrupt/);

    const gone = fixture[1] as FixtureRun;
    await rename(join(runsDir, 'agents', gone.runId), join(root, gone.runId));
    const reopened = await RunCatalog.open(runsDir);
    expect(ids(reopened.query({ limit: 1000 }).runs)).toEqual(ids(fixture.filter((r) => r !== gone)));
    reopened.close();
    await cp(join(root, gone.runId), join(runsDir, 'agents', gone.runId), { recursive: true });
    const again = await RunCatalog.open(runsDir);
    expect(ids(again.query({ limit: 1000 }).runs)).toEqual(ids(fixture));
    again.close();
  });
});

describe('RunCatalog.apply', () => {
  it('makes its changes in order in one go, and reports the ones that failed', async () => {
    const catalog = await RunCatalog.open(runsDir);
    try {
      const [a, b] = fixture.filter((r) => r.kind === 'agent') as [FixtureRun, FixtureRun];
      const indexed = (): unknown[] => ids(catalog.query({ limit: 1000 }).runs);
      const errors = await catalog.apply([
        { remove: a.runId },
        { upsert: { kind: 'agent', runId: a.runId } },
        { remove: b.runId },
        { upsert: { kind: 'agent', runId: '0'.repeat(26) } },
        { upsert: { kind: 'agent', runId: 'not a run id' } },
      ]);
      expect(errors.map((e) => e !== null)).toEqual([false, false, false, false, true]);
      expect(indexed()).toContain(a.runId);
      expect(indexed()).not.toContain(b.runId);
      await catalog.upsert({ kind: 'agent', runId: b.runId });
      expect(indexed()).toEqual(ids(fixture));
    } finally {
      catalog.close();
    }
  });
});

describe('RunStore', () => {
  it('computes stats per agent', async () => {
    const catalog = await RunCatalog.open(runsDir);
    try {
      const { groups } = new RunStore(runsDir, catalog).stats({ by: 'agent' });
      const present = fixture.filter((r) => r.kind === 'agent' && r.subject === 'coder' && true);
      const coder = groups.find((g) => g.key === 'coder');
      expect(coder?.count).toBe(present.length);
      expect(coder?.failures).toBe(present.filter((r) => r.status === 'failed').length);
      expect(coder?.tokens).toBe(present.reduce((sum, r) => sum + r.tokens, 0));
      expect(coder?.p50_duration_seconds).toBeGreaterThan(0);
    } finally {
      catalog.close();
    }
  });
});

describe('sessions', () => {
  it('finds the runs of one session_id and gives stats per session', async () => {
    const catalog = await RunCatalog.open(runsDir);
    try {
      const inA = fixture.filter((r) => r.session === 'conv-a');
      expect(inA.length).toBeGreaterThan(0);
      expect(ids(catalog.query({ session: 'conv-a', limit: 100 }).runs)).toEqual(ids(inA));
      expect(catalog.query({ session: 'conv-a', agent: 'coder', limit: 100 }).runs.every((r) => r.session_id === 'conv-a' && r.agent_id === 'coder')).toBe(true);
      const { by, groups } = new RunStore(runsDir, catalog).stats({ by: 'session' });
      expect(by).toBe('session');
      const count = (key: string | null): number | undefined => groups.find((g) => g.key === key)?.count;
      expect([count('conv-a'), count('conv-b'), count(null)]).toEqual([
        inA.length,
        fixture.filter((r) => r.session === 'conv-b').length,
        fixture.filter((r) => r.session === null).length,
      ]);
      expect(groups.find((g) => g.key === 'conv-a')?.tokens).toBe(inA.reduce((sum, r) => sum + r.tokens, 0));
    } finally {
      catalog.close();
    }
  });
});

describe('watchRuns', () => {
  it('indexes a run directory added by hand and forgets a deleted one', async () => {
    const catalog = await RunCatalog.open(runsDir);
    const watcher = watchRuns(runsDir, catalog, (err) => { throw err; });
    try {
      await watcher.ready;
      const moved = fixture[2] as FixtureRun;
      const newest = (): unknown[] => ids(catalog.query({ agent: moved.subject, limit: 1000 }).runs);
      await rename(join(runsDir, 'agents', moved.runId), join(root, moved.runId));
      await expect.poll(newest, { timeout: 2000, interval: 20 }).not.toContain(moved.runId);
      await cp(join(root, moved.runId), join(runsDir, 'agents', moved.runId), { recursive: true });
      await expect.poll(newest, { timeout: 2000, interval: 20 }).toContain(moved.runId);
    } finally {
      await watcher.close();
      catalog.close();
    }
  });

  it('indexes runs it finds unindexed when it starts, and each run of a burst of adds and removes', async () => {
    const catalog = await RunCatalog.open(runsDir);
    const agents = fixture.filter((r) => r.kind === 'agent').slice(5, 15);
    const indexed = (): unknown[] => ids(catalog.query({ limit: 1000 }).runs);
    const [first, ...rest] = agents as [FixtureRun, ...FixtureRun[]];
    catalog.remove(first.runId);
    const watcher = watchRuns(runsDir, catalog, (err) => { throw err; });
    try {
      await watcher.ready;
      await expect.poll(indexed, { timeout: 2000, interval: 20 }).toContain(first.runId);
      await Promise.all(rest.map((r) => rename(join(runsDir, 'agents', r.runId), join(root, r.runId))));
      await expect.poll(() => rest.filter((r) => indexed().includes(r.runId)).length, { timeout: 2000, interval: 20 }).toBe(0);
      await Promise.all(rest.map((r) => rename(join(root, r.runId), join(runsDir, 'agents', r.runId))));
      await expect.poll(() => rest.filter((r) => indexed().includes(r.runId)).length, { timeout: 2000, interval: 20 }).toBe(rest.length);
    } finally {
      await watcher.close();
      catalog.close();
    }
  });
});

describe('directoryBytesSync', () => {
  it('counts a run directory as the index counts it when it reads the directory itself', async () => {
    const run = fixture[0]!;
    const dir = join(runsDir, run.kind === 'agent' ? 'agents' : 'workflows', run.runId);
    await writeFile(join(dir, 'extra.bin'), Buffer.alloc(1234));
    const bytes = directoryBytesSync(dir);
    expect(bytes).toBeGreaterThan(1234);
    expect(bytes).toBe(await directoryBytes(dir));
    await rm(join(dir, 'extra.bin'));
    expect(directoryBytesSync(join(runsDir, 'agents', 'no-such-run'))).toBe(0);
  });
});
