import type pg from 'pg';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { Limiter } from '../../lib/index.js';
import type { RunKind } from '../../model/index.js';
import type { CatalogEntry } from '../catalog/entry.js';
import { SharedStoreError, TraceClaimedError } from './errors.js';

/** Where PG holds a trace's run. `seq` (a decimal string) grows with every change of the row. */
export interface TraceLocation {
  kind: RunKind;
  runId: string;
  status: string | null;
  replayOf: string | null;
  seq: string;
}

/** A run's row, tombstones excluded. */
export interface RunRow {
  kind: RunKind;
  runId: string;
  traceId: string | null;
  status: string | null;
  pinned: boolean;
  seq: string;
  entry: CatalogEntry;
}

/** What {@link SharedIndex.publish} records of a run. */
export interface PublishedRun {
  kind: RunKind;
  runId: string;
  traceId: string | null;
  status: string | null;
  replayOf: string | null;
  pinned: boolean;
  entry: CatalogEntry;
}

/** One change for a mirror: a run's current entry, or its removal (`deleted`, entry null). */
export interface RunChange {
  runId: string;
  kind: RunKind;
  deleted: boolean;
  entry: CatalogEntry | null;
}

/** A held named lock; `lost` resolves when its connection dies (the lock is gone then). */
export interface HeldLock {
  release(): Promise<void>;
  lost: Promise<void>;
}

/** A client checked out of the pool, inside the transaction of a trace lock. */
export type IndexClient = PoolClient;

/** The pg module, loaded on first use: the store module is imported by every CLI command. */
type PgModule = typeof pg;

/** The cursor of a mirror that has seen nothing yet. */
export const START_CURSOR = '0:0';

// Advisory locks: trace locks use the one-bigint key space (hashtextextended of the trace
// id); named locks (schema creation, maintenance) use the two-int4 space under this class,
// which never collides with the first.
const NAMED_LOCK_CLASS = 0x70617261; // 'para'
const POOL_SIZE = 20;
// A trace lock holds its client for a whole run write; these many at once, so the pool always
// has clients left for look-ups and the mirror's polls (a wait for a pool client times out,
// a wait for a slot does not).
const TRACE_LOCK_SLOTS = POOL_SIZE - 4;
const CONNECT_TIMEOUT_MS = 10_000;
const UNIQUE_VIOLATION = '23505';

// The entry is JSON text, not jsonb: jsonb refuses \u0000 in strings, which span data may hold.
// Rows are ordered for mirrors by (writer_xid, seq): see changesSince.
const SCHEMA = `
CREATE SEQUENCE IF NOT EXISTS paracle_runs_seq;
CREATE TABLE IF NOT EXISTS paracle_runs (
  run_id     text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('agent', 'workflow')),
  trace_id   text UNIQUE,
  status     text,
  replay_of  text,
  pinned     boolean NOT NULL DEFAULT false,
  deleted    boolean NOT NULL DEFAULT false,
  entry      text,
  seq        bigint NOT NULL,
  writer_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS paracle_runs_change_idx ON paracle_runs (writer_xid, seq);
`;

// Every change takes a new seq and stamps the writing transaction's id.
const CHANGE = `seq = nextval('paracle_runs_seq'), writer_xid = pg_current_xact_id(), updated_at = now()`;

/**
 * The run index of the shared backend in PostgreSQL: one row per run (its catalog entry),
 * the trace -> run map (a unique trace_id decides which run a trace is), per-trace locks
 * across replicas and the change feed the replicas' local catalogs follow.
 */
export class SharedIndex {
  private readonly lockSlots = new Limiter(TRACE_LOCK_SLOTS);

  private constructor(
    private readonly pg: PgModule,
    private readonly pool: Pool,
    private readonly url: string,
  ) {}

  /** Connects a pool and creates the schema when missing (two replicas may start at once). */
  static async connect(url: string): Promise<SharedIndex> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle client's connection dropping must not crash the process: the next query fails instead.
    pool.on('error', () => undefined);
    const index = new SharedIndex(pg, pool, url);
    try {
      await index.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NAMED_LOCK_CLASS, 'paracle_schema']);
        await client.query(SCHEMA);
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw failure(`reach PostgreSQL at ${redact(url)}`, err);
    }
    return index;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The run PG holds for a trace, or null. */
  async locateTrace(traceId: string, client?: IndexClient): Promise<TraceLocation | null> {
    const { rows } = await this.query<LocationRow>(
      client,
      'SELECT kind, run_id, status, replay_of, seq::text AS seq FROM paracle_runs WHERE trace_id = $1',
      [traceId],
    );
    const row = rows[0];
    return row ? { kind: row.kind, runId: row.run_id, status: row.status, replayOf: row.replay_of, seq: row.seq } : null;
  }

  /** A run's row, or null when there is none or it was removed. */
  async row(runId: string, client?: IndexClient): Promise<RunRow | null> {
    const { rows } = await this.query<FullRow>(
      client,
      'SELECT kind, run_id, trace_id, status, pinned, seq::text AS seq, entry FROM paracle_runs WHERE run_id = $1 AND NOT deleted',
      [runId],
    );
    const row = rows[0];
    if (!row || row.entry === null) return null;
    return { kind: row.kind, runId: row.run_id, traceId: row.trace_id, status: row.status, pinned: row.pinned, seq: row.seq, entry: JSON.parse(row.entry) as CatalogEntry };
  }

  /**
   * Inserts or replaces a run's row; resolves with its new seq. Throws
   * {@link TraceClaimedError} when another run holds the trace.
   */
  async publish(run: PublishedRun, client?: IndexClient): Promise<string> {
    try {
      const { rows } = await this.query<{ seq: string }>(
        client,
        `INSERT INTO paracle_runs (run_id, kind, trace_id, status, replay_of, pinned, deleted, entry, seq)
         VALUES ($1, $2, $3, $4, $5, $6, false, $7, nextval('paracle_runs_seq'))
         ON CONFLICT (run_id) DO UPDATE SET kind = EXCLUDED.kind, trace_id = EXCLUDED.trace_id,
           status = EXCLUDED.status, replay_of = EXCLUDED.replay_of, pinned = EXCLUDED.pinned,
           deleted = false, entry = EXCLUDED.entry, ${CHANGE}
         RETURNING seq::text AS seq`,
        [run.runId, run.kind, run.traceId, run.status, run.replayOf, run.pinned, JSON.stringify(run.entry)],
        false,
      );
      return rows[0]!.seq;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION && run.traceId !== null) throw new TraceClaimedError(run.traceId, run.runId);
      throw failure(`publish run ${run.runId} to PostgreSQL`, err);
    }
  }

  /** Replaces a run's row by a tombstone (mirrors drop it); true when there was a live row. */
  async remove(runId: string, client?: IndexClient): Promise<boolean> {
    const { rowCount } = await this.query(
      client,
      `UPDATE paracle_runs SET deleted = true, entry = NULL, trace_id = NULL, ${CHANGE} WHERE run_id = $1 AND NOT deleted`,
      [runId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Sets a run's pin in its row and entry; false when there is no such run. */
  async setPinned(runId: string, pinned: boolean, client?: IndexClient): Promise<boolean> {
    const row = await this.row(runId, client);
    if (!row) return false;
    const entry: CatalogEntry = { ...row.entry, pinned };
    const { rowCount } = await this.query(
      client,
      `UPDATE paracle_runs SET pinned = $2, entry = $3, ${CHANGE} WHERE run_id = $1 AND NOT deleted`,
      [runId, pinned, JSON.stringify(entry)],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * The changes after `cursor` (at most `limit`), and the cursor to ask from next.
   *
   * Why not simply `seq > cursor`: a transaction may take seq 5, another seq 6 and commit
   * first; a reader then seeing 6 and moving past it would never see 5. Rows are instead read
   * in (writer_xid, seq) order and only when their writing transaction is older than every
   * transaction still running (`writer_xid < xmin` of the snapshot): no row can later appear
   * below such a point, so the cursor never skips one. A changed row takes a new writer_xid
   * and seq, so it comes again. A write shows once the transactions older than it end.
   */
  async changesSince(cursor: string, limit: number): Promise<{ changes: RunChange[]; cursor: string }> {
    const [xid, seq] = parseCursor(cursor);
    const { rows } = await this.query<ChangeRow>(
      undefined,
      `SELECT run_id, kind, deleted, entry, writer_xid::text AS xid, seq::text AS seq FROM paracle_runs
       WHERE (writer_xid, seq) > ($1::text::xid8, $2::bigint) AND writer_xid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY writer_xid, seq LIMIT $3`,
      [xid, seq, limit],
    );
    const last = rows[rows.length - 1];
    return {
      changes: rows.map((row) => ({
        runId: row.run_id,
        kind: row.kind,
        deleted: row.deleted,
        entry: row.deleted || row.entry === null ? null : (JSON.parse(row.entry) as CatalogEntry),
      })),
      cursor: last ? `${last.xid}:${last.seq}` : cursor,
    };
  }

  /**
   * Runs `fn` holding the trace's lock across replicas: a transaction-level advisory lock on
   * a pool client, released when the transaction ends (commit when `fn` resolves, rollback
   * when it throws). `fn` gets the client so its PG writes commit with the lock's end.
   */
  async withTraceLock<T>(traceId: string, fn: (client: IndexClient) => Promise<T>): Promise<T> {
    return this.lockSlots.run(() =>
      this.transaction(async (client) => {
        await this.query(client, 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [traceId]);
        return fn(client);
      }),
    );
  }

  /**
   * Takes the named lock when free (session-level, on a connection of its own, held until
   * released or the connection is lost); null when another holder has it.
   */
  async tryLock(name: string): Promise<HeldLock | null> {
    const client = new this.pg.Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    let lose!: () => void;
    const lost = new Promise<void>((resolve) => (lose = resolve));
    client.on('error', () => lose());
    client.on('end', () => lose());
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [NAMED_LOCK_CLASS, name]);
      if (rows[0]?.locked !== true) {
        await client.end();
        return null;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw failure(`take the ${name} lock in PostgreSQL`, err);
    }
    let released = false;
    return {
      lost,
      release: async () => {
        if (released) return;
        released = true;
        // Ending the session releases its advisory locks.
        await client.end().catch(() => undefined);
      },
    };
  }

  /** The number of live runs. */
  async count(): Promise<number> {
    const { rows } = await this.query<{ n: string }>(undefined, 'SELECT count(*)::text AS n FROM paracle_runs WHERE NOT deleted', []);
    return Number(rows[0]!.n);
  }

  /** Runs `fn` in a transaction on a pool client: committed when it resolves, rolled back when it throws. */
  async transaction<T>(fn: (client: IndexClient) => Promise<T>): Promise<T> {
    let client: IndexClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw failure(`connect to PostgreSQL at ${redact(this.url)}`, err);
    }
    let broken = false;
    try {
      await this.query(client, 'BEGIN', []);
      const result = await fn(client);
      await this.query(client, 'COMMIT', []);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      // A client whose connection failed mid-transaction is discarded, not pooled again.
      client.release(broken);
    }
  }

  private async query<R extends QueryResultRow>(
    client: IndexClient | undefined,
    text: string,
    values: unknown[],
    wrap = true,
  ): Promise<QueryResult<R>> {
    try {
      return await (client ?? this.pool).query<R>(text, values);
    } catch (err) {
      throw wrap ? failure('query PostgreSQL', err) : err;
    }
  }
}

interface LocationRow {
  kind: RunKind;
  run_id: string;
  status: string | null;
  replay_of: string | null;
  seq: string;
}

interface FullRow {
  kind: RunKind;
  run_id: string;
  trace_id: string | null;
  status: string | null;
  pinned: boolean;
  seq: string;
  entry: string | null;
}

interface ChangeRow {
  run_id: string;
  kind: RunKind;
  deleted: boolean;
  entry: string | null;
  xid: string;
  seq: string;
}

/** `xid:seq`; '' and '0' (any cursor a mirror starts from) read from the beginning. */
function parseCursor(cursor: string): [string, string] {
  const match = /^(\d+):(\d+)$/.exec(cursor);
  return match ? [match[1]!, match[2]!] : ['0', '0'];
}

// Server-side errors carry a SQLSTATE; class 08 (connection), 53 (resources), 57 (operator
// intervention: shutdown) and 40 (serialization) may pass. Client-side ones (no code) are
// network faults.
function failure(what: string, err: unknown): SharedStoreError {
  if (err instanceof SharedStoreError) return err;
  const code = (err as { code?: string } | null)?.code;
  const retryable = code === undefined || !/^[0-9A-Z]{5}$/.test(code) || /^(08|53|57|40)/.test(code);
  const reason = err instanceof Error ? err.message : String(err);
  return new SharedStoreError(`could not ${what}: ${reason}`, retryable, { cause: err });
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}
