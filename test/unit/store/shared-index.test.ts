import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedIndex, START_CURSOR, TraceClaimedError, type RunChange } from '../../../src/store/index.js';
import type { CatalogEntry } from '../../../src/store/catalog/entry.js';
import type { PublishedRun } from '../../../src/store/shared/postgres.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
let a: SharedIndex;
let b: SharedIndex;

beforeAll(async () => {
  server = await startPostgres();
  // Two replicas starting at once both create the schema: one waits for the other.
  [a, b] = await Promise.all([SharedIndex.connect(server.url), SharedIndex.connect(server.url)]);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.stop();
});

let counter = 0;
/** A run with a fresh id (a ULID-shaped text) and catalog entry. */
function run(traceId: string | null, extra: Partial<CatalogEntry> = {}): PublishedRun {
  counter += 1;
  const runId = `01JD${String(counter).padStart(22, '0')}`;
  const entry: CatalogEntry = {
    runId, kind: 'agent', subject: 'coder', traceId, status: 'completed', startedMs: 1_764_000_000_000 + counter,
    durationSeconds: 1.5, model: 'gpt-4o', project: null, session: null, tokens: 10, costUsd: 0.01, pinned: false,
    mtimeMs: 1, bytes: 100, text: 'hello', metadata: { run_id: runId, status: 'completed' }, ...extra,
  };
  return { kind: 'agent', runId, traceId, status: entry.status, replayOf: null, pinned: entry.pinned, entry };
}
const traceId = (): string => `${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`.padEnd(32, '0').slice(0, 32);

/** A mirror's view: follows changesSince from `cursor` until it returns nothing new. */
async function follow(index: SharedIndex, cursor: string, seen: Map<string, RunChange>): Promise<string> {
  for (;;) {
    const page = await index.changesSince(cursor, 7);
    for (const change of page.changes) seen.set(change.runId, change);
    if (page.changes.length === 0) return page.cursor;
    cursor = page.cursor;
  }
}

describe('SharedIndex against PostgreSQL', () => {
  it('publishes, locates, pins, counts and removes runs', async () => {
    const trace = traceId();
    const first = run(trace, { text: 'nul \u0000 inside' });
    const before = await a.count();
    const seq1 = await a.publish(first);
    expect(await b.locateTrace(trace)).toEqual({ kind: 'agent', runId: first.runId, status: 'completed', replayOf: null, seq: seq1 });
    expect((await b.row(first.runId))?.entry).toEqual(first.entry);
    expect(await b.count()).toBe(before + 1);

    const seq2 = await b.publish({ ...first, status: 'failed', entry: { ...first.entry, status: 'failed' } });
    expect(BigInt(seq2)).toBeGreaterThan(BigInt(seq1));
    expect(await a.setPinned(first.runId, true)).toBe(true);
    const pinned = await a.row(first.runId);
    expect(pinned).toMatchObject({ status: 'failed', pinned: true, entry: { pinned: true, status: 'failed' } });
    expect(BigInt(pinned!.seq)).toBeGreaterThan(BigInt(seq2));

    expect(await a.remove(first.runId)).toBe(true);
    expect(await a.remove(first.runId)).toBe(false);
    expect(await b.row(first.runId)).toBeNull();
    expect(await b.locateTrace(trace)).toBeNull();
    expect(await a.setPinned(first.runId, false)).toBe(false);
    expect(await b.count()).toBe(before);
    // The trace is free again once its run is removed.
    await b.publish(run(trace));
  });

  it('lets only one of two concurrent publishers of a trace have it', async () => {
    const trace = traceId();
    const [x, y] = [run(trace), run(trace)];
    const results = await Promise.allSettled([a.publish(x), b.publish(y)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(TraceClaimedError);
    expect((lost[0]!.reason as TraceClaimedError).retryable).toBe(true);
    const winner = results[0]!.status === 'fulfilled' ? x : y;
    expect((await a.locateTrace(trace))?.runId).toBe(winner.runId);
  });

  it('holds a trace lock across replicas until the holder commits', async () => {
    const trace = traceId();
    const events: string[] = [];
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = a.withTraceLock(trace, async (client) => {
      events.push('a in');
      entered();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await a.publish(run(trace), client);
      events.push('a out');
    });
    await inside;
    const second = b.withTraceLock(trace, async (client) => {
      events.push('b in');
      // The first holder's run is committed by the time the lock is ours.
      return b.locateTrace(trace, client);
    });
    // A lock on another trace does not wait.
    await b.withTraceLock(traceId(), async () => events.push('other'));
    await first;
    expect((await second)?.runId).toBeTruthy();
    expect(events).toEqual(['a in', 'other', 'a out', 'b in']);
  });

  it('rolls a trace lock\'s writes back when its function throws', async () => {
    const trace = traceId();
    await expect(a.withTraceLock(trace, async (client) => {
      await a.publish(run(trace), client);
      throw new Error('write failed');
    })).rejects.toThrow('write failed');
    expect(await b.locateTrace(trace)).toBeNull();
  });

  it('does not skip a lower seq whose transaction commits after a higher one is visible', async () => {
    const seen = new Map<string, RunChange>();
    let cursor = await follow(b, START_CURSOR, seen);
    const late = run(traceId());
    const early = run(traceId());
    const gate = deferred();
    const published = deferred();
    // T1 takes the lower seq and commits last.
    const t1 = a.withTraceLock(late.traceId!, async (client) => {
      await a.publish(late, client);
      published.resolve();
      await gate.promise;
    });
    await published.promise;
    await b.publish(early);
    cursor = await follow(b, cursor, seen);
    expect(seen.has(late.runId)).toBe(false);
    gate.resolve();
    await t1;
    await follow(b, cursor, seen);
    expect(seen.has(late.runId)).toBe(true);
    expect(seen.has(early.runId)).toBe(true);
  });

  it('does not skip a row whose transaction has the lower id but the higher seq', async () => {
    const seen = new Map<string, RunChange>();
    let cursor = await follow(b, START_CURSOR, seen);
    const older = run(traceId());
    const younger = run(traceId());
    const [xidTaken, younderPublished, olderGate] = [deferred(), deferred(), deferred()];
    // T_old gets its transaction id first but takes its seq after T_young took a lower one.
    const tOld = a.withTraceLock(older.traceId!, async (client) => {
      await client.query('SELECT pg_current_xact_id()');
      xidTaken.resolve();
      await younderPublished.promise;
      await a.publish(older, client);
    });
    await xidTaken.promise;
    const tYoung = b.withTraceLock(younger.traceId!, async (client) => {
      await b.publish(younger, client);
      younderPublished.resolve();
      await olderGate.promise;
    });
    await tOld;
    cursor = await follow(b, cursor, seen);
    olderGate.resolve();
    await tYoung;
    await follow(b, cursor, seen);
    expect(seen.has(older.runId)).toBe(true);
    expect(seen.has(younger.runId)).toBe(true);
  });

  it('gives a follower every change of many concurrent writers, tombstones included', async () => {
    const seen = new Map<string, RunChange>();
    let cursor = await follow(a, START_CURSOR, seen);
    const runs = Array.from({ length: 60 }, () => run(traceId()));
    let done = false;
    const reader = (async () => {
      while (!done) cursor = await follow(a, cursor, seen);
    })();
    await Promise.all(runs.map((r, i) => (i % 2 ? a : b).withTraceLock(r.traceId!, (client) => (i % 2 ? a : b).publish(r, client))));
    await Promise.all(runs.slice(0, 10).map((r) => b.remove(r.runId)));
    done = true;
    await reader;
    cursor = await follow(a, cursor, seen);
    for (const [i, r] of runs.entries()) {
      expect(seen.get(r.runId), r.runId).toMatchObject(i < 10 ? { deleted: true, entry: null } : { deleted: false, entry: r.entry });
    }
  });

  it('gives a named lock to one holder at a time and reports a lost connection', async () => {
    const held = await a.tryLock('maintenance');
    expect(held).not.toBeNull();
    expect(await b.tryLock('maintenance')).toBeNull();
    await held!.release();
    const again = await b.tryLock('maintenance');
    expect(again).not.toBeNull();
    // An administrator (or a failover) ends the holder's session: the lease is lost.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`);
    await admin.end();
    await again!.lost;
    const third = await a.tryLock('maintenance');
    expect(third).not.toBeNull();
    await third!.release();
    await again!.release();
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
