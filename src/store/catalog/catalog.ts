import { existsSync } from 'node:fs';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Database as Db, Statement } from 'better-sqlite3-multiple-ciphers';
import type { RunKind, StoreSize } from '../../model/index.js';
import { errnoOf, storeOp } from '../errors.js';
import { runIdsIn } from '../reader.js';
import { kindFolders } from '../run-files.js';
import type { RunRef } from '../writer.js';
import { readCatalogEntry, type CatalogEntry, type RunContent } from './entry.js';
import { whereClause, type RunQuery } from './query.js';
import { refreshArchiveIndex } from './archive-index.js';
import { prepareSchema } from './schema.js';
import { LogScrubber } from './log-scrub.js';
import { FILE_MODE, makeDirectory } from '../../lib/index.js';
import { indexKeyOf } from '../encryption.js';

/** Where the index reports what it did on its own (rebuilds); the daemon logs, the CLI prints. */
export type CatalogLog = (message: string, fields: Record<string, unknown>) => void;

/** One page of runs, newest first. */
export interface RunPage {
  /** Each run's metadata.yaml fields plus `pinned`. */
  runs: Record<string, unknown>[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** The columns stats are computed from. */
export interface StatsRow {
  kind: RunKind;
  subject: string | null;
  status: string | null;
  model: string | null;
  project: string | null;
  session: string | null;
  tokens: number;
  cost: number;
  duration_s: number | null;
  started_ms: number | null;
}

/** One live run as the maintenance jobs weigh it. */
export interface RunSummary {
  kind: RunKind;
  /** agent_id or workflow_id; null when unknown. */
  subject: string | null;
  runId: string;
  status: string | null;
  startedMs: number | null;
  pinned: boolean;
  traceId: string | null;
  /** False once sampling has trimmed its trace.json. */
  traceWhole: boolean;
}

/** One change {@link RunCatalog.apply} makes: forget a run, or read one into the index. */
export type CatalogChange = { remove: string } | { upsert: RunRef; written?: RunContent };

/** One run as a shared index reports it: its entry, or null once it is gone (a tombstone). */
export interface MirroredRun {
  runId: string;
  entry: CatalogEntry | null;
}

/** A run a mirror forgot because its source removed it, with the trace it had. */
export interface ForgottenRun {
  runId: string;
  traceId: string | null;
}

/**
 * Where a mirror-mode catalog follows the runs from (the shared backend's PostgreSQL index):
 * the changes after `cursor`, oldest first, and the cursor to ask from next time.
 */
export interface MirrorSource {
  changesSince(cursor: string, limit: number): Promise<{ changes: readonly MirroredRun[]; cursor: string }>;
}

/** The index folder under a runs dir. */
export const INDEX_FOLDER = '.index';
const INDEX_FILE = 'runs.sqlite';
// Runs read from disk at once while (re)building: enough to hide file latency, few enough
// not to exhaust descriptors.
const READ_BATCH = 64;
/** Changes asked of a mirror's source at once. */
const MIRROR_PAGE = 1000;
/** The cursor of a mirror that has read nothing yet. */
const MIRROR_START = '0';
// The meta keys of the mode the index was built in, and of a mirror's cursor.
const MODE_KEY = 'mode';
const CURSOR_KEY = 'mirror_cursor';

/**
 * The embedded index of one runs dir (`<runs-dir>/.index/runs.sqlite`). The run directories
 * stay the truth: the index can be deleted at any time and is rebuilt from them. Several
 * processes (the daemon, CLI commands) may use it at once.
 */
export class RunCatalog {
  private generation = 0;
  private readonly statements = new Map<string, Statement>();
  private readonly scrubber: LogScrubber;
  // A mirror's reads of its source, one at a time: a slow page never overwrites a newer one.
  private following: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly runsDir: string,
    private readonly log: CatalogLog,
    private readonly source: MirrorSource | null,
  ) {
    this.scrubber = new LogScrubber(db);
  }

  /**
   * Opens the index of `runsDir`, creating it. A missing, unfinished, corrupt or outdated
   * index is rebuilt from the run directories (and `log` told why); otherwise runs added or
   * removed in the kind folders since it was last used are picked up. When the runs dir is
   * read-only the index is built in memory. Throws {@link StoreError} when the runs dir
   * cannot be read.
   *
   * With `mirror` (the shared backend) the index is a mirror of that source instead: the
   * kind folders are never read (they hold only a replica's staging copies), a rebuild is a
   * full resync from the source, and opening catches up with it from the cursor kept in the
   * index. An index built in the other mode is rebuilt.
   */
  static async open(runsDir: string, log: CatalogLog = () => undefined, mirror?: MirrorSource): Promise<RunCatalog> {
    await storeOp('readdir', runsDir, () => readdir(runsDir));
    const { db, reason } = await openDatabase(runsDir, log);
    const catalog = new RunCatalog(db, runsDir, log, mirror ?? null);
    const mode = mirror ? 'mirror' : 'local';
    const built = reason === null && catalog.getMeta('built') === '1' && (catalog.getMeta(MODE_KEY) ?? 'local') === mode;
    if (!built) await catalog.rebuild(reason ?? (catalog.getMeta('built') === '1' ? `built in another mode than ${mode}` : 'missing'));
    else if (mirror) await catalog.follow();
    else await catalog.refresh();
    return catalog;
  }

  /** True when this index mirrors a shared source rather than the run directories. */
  get mirrored(): boolean {
    return this.source !== null;
  }

  /**
   * Reads every run directory again (a mirror: every run of its source) and drops entries
   * whose run is gone; returns the run count. Logged, unless the store is empty.
   */
  async rebuild(reason = 'asked'): Promise<number> {
    if (this.source) return this.resync(reason);
    const started = Date.now();
    const folders = await Promise.all(
      kindFolders(this.runsDir).map(async ({ kind, dir }) => ({ kind, mtime: await folderMtime(dir), ids: await runIdsIn(dir) })),
    );
    // An empty store has nothing worth a log line (a corrupt file was already reported).
    const quiet = folders.every((f) => f.ids.length === 0);
    if (!quiet) this.log('rebuilding the run index from the run directories', { reason, runs_dir: this.runsDir });
    this.setMeta('built', '0');
    this.generation = Date.now();
    let count = 0;
    for (const { kind, mtime, ids } of folders) {
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        const batch = ids.slice(i, i + READ_BATCH).map((runId) => ({ kind, runId }));
        const entries = await Promise.all(batch.map((location) => readCatalogEntry(this.runsDir, location)));
        this.db.transaction(() => entries.forEach((entry) => entry && this.put(entry)))();
        count += entries.filter(Boolean).length;
      }
      this.setMeta(`mtime:${kind}`, String(mtime));
    }
    if (this.sql('DELETE FROM runs WHERE gen <> ?').run(this.generation).changes > 0) this.scrubber.deleted();
    this.setMeta(MODE_KEY, 'local');
    this.setMeta('built', '1');
    if (!quiet) this.log('run index rebuilt', { runs: count, ms: Date.now() - started });
    return count;
  }

  /**
   * A mirror's rebuild: reads every run of the source from its first change on, then drops
   * the entries it did not name (runs removed while the mirror was away). Changes applied
   * meanwhile by {@link applyMirrored} are kept: they are marked with the same generation.
   */
  private resync(reason: string): Promise<number> {
    const run = (): Promise<number> => this.resyncNow(reason);
    const done = this.following.then(run, run);
    this.following = done.catch(() => undefined);
    return done;
  }

  private async resyncNow(reason: string): Promise<number> {
    const started = Date.now();
    this.log('resyncing the run index from the shared index', { reason, runs_dir: this.runsDir });
    this.setMeta('built', '0');
    this.generation = Date.now();
    this.setMeta(CURSOR_KEY, MIRROR_START);
    await this.catchUp();
    if (this.sql('DELETE FROM runs WHERE gen <> ?').run(this.generation).changes > 0) this.scrubber.deleted();
    this.setMeta(MODE_KEY, 'mirror');
    this.setMeta('built', '1');
    const count = this.sql('SELECT count(*) FROM runs').pluck().get() as number;
    this.log('run index resynced', { runs: count, ms: Date.now() - started });
    return count;
  }

  /**
   * A mirror: applies what its source changed since the cursor kept in the index, page by
   * page until it is current. One follow at a time; resolves with the runs it forgot (with
   * the trace they had). Throws what the source throws (the cursor stays where the last
   * applied page left it).
   */
  follow(): Promise<ForgottenRun[]> {
    // Another process rebuilt the shared file from run directories (a CLI in local mode):
    // its entries are not the source's any more.
    const run = async (): Promise<ForgottenRun[]> => {
      if (this.getMeta(MODE_KEY) === 'mirror') return this.catchUp();
      await this.resyncNow('the index was rebuilt in local mode');
      return [];
    };
    const done = this.following.then(run, run);
    this.following = done.catch(() => undefined);
    return done;
  }

  private async catchUp(): Promise<ForgottenRun[]> {
    const source = this.source;
    if (!source) throw new Error('follow() is for a mirror-mode catalog');
    const forgotten: ForgottenRun[] = [];
    for (;;) {
      const cursor = this.getMeta(CURSOR_KEY) ?? MIRROR_START;
      const page = await source.changesSince(cursor, MIRROR_PAGE);
      // The cursor moves in the same transaction as the entries: a crash never skips a change.
      this.db.transaction(() => {
        forgotten.push(...this.putMirrored(page.changes));
        this.setMeta(CURSOR_KEY, page.cursor);
      })();
      if (page.changes.length < MIRROR_PAGE || page.cursor === cursor) return forgotten;
    }
  }

  /**
   * A mirror: applies changes it learnt of from elsewhere than its source's feed (the
   * replica's own publishes), in one transaction, without moving the cursor: the feed
   * brings them again later, which is harmless.
   */
  applyMirrored(changes: readonly MirroredRun[]): void {
    this.db.transaction(() => this.putMirrored(changes))();
  }

  /** Puts or removes each run; returns those it held and removed. */
  private putMirrored(changes: readonly MirroredRun[]): ForgottenRun[] {
    const forgotten: ForgottenRun[] = [];
    for (const change of changes) {
      if (change.entry) {
        this.put(change.entry);
        continue;
      }
      const held = this.sql('SELECT trace_id FROM runs WHERE run_id = ?').get(change.runId) as { trace_id: string | null } | undefined;
      if (!held) continue;
      this.remove(change.runId);
      forgotten.push({ runId: change.runId, traceId: held.trace_id });
    }
    return forgotten;
  }

  /**
   * Picks up run directories added or removed since the index last looked, cheaply: a kind
   * folder whose mtime did not change is not listed. Changes inside a run directory are
   * picked up by {@link upsert} (the writer, the watcher) or {@link rebuild}. A mirror has
   * nothing to pick up from the run directories: it does nothing.
   */
  async refresh(): Promise<void> {
    if (this.source) return;
    for (const { kind, dir } of kindFolders(this.runsDir)) {
      const mtime = String(await folderMtime(dir));
      if (this.getMeta(`mtime:${kind}`) === mtime) continue;
      const onDisk = new Set(await runIdsIn(dir));
      const indexed = this.sql('SELECT run_id FROM runs WHERE kind = ?').pluck().all(kind) as string[];
      for (const runId of indexed) if (!onDisk.delete(runId)) this.remove(runId);
      for (const runId of onDisk) await this.upsert({ kind, runId });
      this.setMeta(`mtime:${kind}`, mtime);
    }
  }

  /**
   * Reads one run directory into the index; removes the entry when the run is gone (or has
   * no metadata.yaml yet). `written`: what a writer has just put there, used instead of
   * reading the files back. Returns whether the run is indexed now.
   */
  async upsert(location: RunRef, written?: RunContent): Promise<boolean> {
    this.checkLocal();
    const entry = await readCatalogEntry(this.runsDir, location, written);
    if (entry) this.put(entry);
    else this.remove(location.runId);
    return entry !== null;
  }

  /**
   * Makes several changes in one transaction, in the order given (the index's pages they
   * share are written once, not once per run). Runs are read concurrently beforehand, as
   * {@link upsert} reads one. Resolves with the error of each change that failed (its run
   * left as it was), null for the others.
   */
  async apply(changes: readonly CatalogChange[]): Promise<(unknown | null)[]> {
    if (changes.some((change) => 'upsert' in change)) this.checkLocal();
    const read = await Promise.allSettled(
      changes.map((change) => ('upsert' in change ? readCatalogEntry(this.runsDir, change.upsert, change.written) : null)),
    );
    this.db.transaction(() => {
      changes.forEach((change, i) => {
        const outcome = read[i]!;
        if ('remove' in change) this.remove(change.remove);
        else if (outcome.status === 'rejected') return;
        else if (outcome.value) this.put(outcome.value);
        else this.remove(change.upsert.runId);
      });
    })();
    return read.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : null));
  }

  /**
   * A mirror never reads a run directory into itself: a replica's run directories are
   * staging copies, and one that is gone would be forgotten though the run is in the
   * shared store. Its runs come from its source ({@link follow}, {@link applyMirrored}).
   */
  private checkLocal(): void {
    if (this.source) throw new Error('the index of a shared store follows the shared index: publish the run instead of indexing its directory');
  }

  /** Forgets one run. */
  remove(runId: string): void {
    if (this.sql('DELETE FROM runs WHERE run_id = ?').run(runId).changes > 0) this.scrubber.deleted();
  }

  /** The metadata.yaml mtime the index read, or null when the run is not indexed. */
  indexedMtime(runId: string): number | null {
    return (this.sql('SELECT mtime_ms FROM runs WHERE run_id = ?').pluck().get(runId) as number | undefined) ?? null;
  }

  /** Updates the pinned flag of an indexed run. */
  markPinned(runId: string, pinned: boolean): void {
    this.sql('UPDATE runs SET pinned = ? WHERE run_id = ?').run(pinned ? 1 : 0, runId);
  }

  /** One page of runs matching `query`, newest first. */
  query(query: RunQuery): RunPage {
    const { sql, params } = whereClause(query);
    const rows = this.sql(`SELECT run_id, metadata, pinned FROM runs WHERE ${sql} ORDER BY run_id DESC LIMIT ?`)
      .all(...params, query.limit + 1) as { run_id: string; metadata: string; pinned: number }[];
    const page = rows.slice(0, query.limit);
    return {
      runs: page.map((row) => ({ ...(JSON.parse(row.metadata) as Record<string, unknown>), pinned: row.pinned === 1 })),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.run_id ?? null) : null,
    };
  }

  /** The stats columns of every run matching `query` (its limit and cursor are ignored). */
  statsRows(query: Omit<RunQuery, 'limit' | 'cursor'>): StatsRow[] {
    const { sql, params } = whereClause({ ...query, cursor: undefined });
    return this.sql(`SELECT kind, subject, status, model, project, session, tokens, cost, duration_s, started_ms FROM runs WHERE ${sql}`)
      .all(...params) as StatsRow[];
  }

  /** Every indexed run, newest first (see {@link RunSummary}). */
  summaries(): RunSummary[] {
    const rows = this.sql(
      `SELECT kind, subject, run_id, status, started_ms, pinned, trace_id, json_extract(metadata, '$.trace_sampled') AS sampled
       FROM runs ORDER BY run_id DESC`,
    ).all() as { kind: RunKind; subject: string | null; run_id: string; status: string | null; started_ms: number | null; pinned: number; trace_id: string | null; sampled: number | null }[];
    return rows.map((row) => ({
      kind: row.kind,
      subject: row.subject,
      runId: row.run_id,
      status: row.status,
      startedMs: row.started_ms,
      pinned: row.pinned === 1,
      traceId: row.trace_id,
      traceWhole: row.sampled !== 0,
    }));
  }

  /**
   * The run written for trace `traceId` (the newest, should there be several), with its
   * status and `replay_of` as indexed. This is the durable half of the trace → run map (see
   * trace-map.ts).
   */
  locateTrace(traceId: string): (RunRef & { status: string | null; replayOf: string | null }) | null {
    const row = this.sql(
      `SELECT kind, run_id, status, json_extract(metadata, '$.replay_of') AS replay_of
         FROM runs WHERE trace_id = ? ORDER BY run_id DESC LIMIT 1`,
    ).get(traceId) as { kind: RunKind; run_id: string; status: string | null; replay_of: unknown } | undefined;
    if (!row) return null;
    const replayOf = typeof row.replay_of === 'string' ? row.replay_of : null;
    return { kind: row.kind, runId: row.run_id, status: row.status, replayOf };
  }

  /**
   * What the store holds, from the index: runs per kind and their bytes, live (the runs
   * indexed) and archived (`.archive/`, whose changed month folders are read again first).
   */
  async storeSize(): Promise<StoreSize> {
    await refreshArchiveIndex(this.db, this.runsDir);
    const size: StoreSize = { runs: { live: { agent: 0, workflow: 0 }, archive: { agent: 0, workflow: 0 } }, bytes: { live: 0, archive: 0 } };
    for (const place of ['live', 'archive'] as const) {
      const table = place === 'live' ? 'runs' : 'archives';
      const rows = this.sql(`SELECT kind, count(*) AS runs, coalesce(sum(bytes), 0) AS bytes FROM ${table} GROUP BY kind`).all() as { kind: RunKind; runs: number; bytes: number }[];
      for (const row of rows) {
        if (row.kind !== 'agent' && row.kind !== 'workflow') continue;
        size.runs[place][row.kind] = row.runs;
        size.bytes[place] += row.bytes;
      }
    }
    return size;
  }

  /** The kind and subject (agent_id / workflow_id) of an indexed run; null when it is not indexed. */
  subjectOf(runId: string): { kind: RunKind; subject: string | null } | null {
    return (this.sql('SELECT kind, subject FROM runs WHERE run_id = ?').get(runId) as { kind: RunKind; subject: string | null } | undefined) ?? null;
  }

  /** Closes the database; the catalog must not be used afterwards. */
  close(): void {
    if (!this.db.open) return;
    this.scrubber.flush();
    this.db.close();
  }

  private put(entry: CatalogEntry): void {
    this.sql(
        `INSERT INTO runs (run_id, kind, subject, trace_id, status, started_ms, duration_s, model, project, session, tokens,
           cost, pinned, mtime_ms, gen, bytes, metadata, text)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET kind = excluded.kind, subject = excluded.subject, trace_id = excluded.trace_id,
           status = excluded.status, started_ms = excluded.started_ms, duration_s = excluded.duration_s,
           model = excluded.model, project = excluded.project, session = excluded.session, tokens = excluded.tokens,
           cost = excluded.cost,
           pinned = excluded.pinned, mtime_ms = excluded.mtime_ms, gen = excluded.gen, bytes = excluded.bytes, metadata = excluded.metadata,
           text = excluded.text`,
      )
      .run(
        entry.runId, entry.kind, entry.subject, entry.traceId, entry.status, entry.startedMs, entry.durationSeconds,
        entry.model, entry.project, entry.session, entry.tokens, entry.costUsd, entry.pinned ? 1 : 0, entry.mtimeMs, this.generation,
        entry.bytes, JSON.stringify(entry.metadata), entry.text,
      );
  }

  /** A prepared statement, compiled once per catalog. */
  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private getMeta(key: string): string | null {
    return (this.sql('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined) ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}

/**
 * Opens (or creates) the index file. `reason` says why it must be rebuilt: a corrupt file
 * is deleted and started afresh; an unwritable runs dir gets an index in memory.
 */
async function openDatabase(runsDir: string, log: CatalogLog): Promise<{ db: Db; reason: string | null }> {
  const folder = join(runsDir, INDEX_FOLDER);
  const file = join(folder, INDEX_FILE);
  try {
    await makeDirectory(folder);
  } catch (err) {
    if (!['EACCES', 'EROFS', 'EPERM'].includes(errnoOf(err) ?? '')) throw err;
    log('the runs dir is read-only: keeping the run index in memory', { runs_dir: runsDir });
    const db = new Database(':memory:');
    prepareSchema(db);
    return { db, reason: 'read-only runs dir' };
  }
  const openIndex = indexOpener(runsDir);
  try {
    await createPrivate(file);
    const db = openIndex(file);
    return { db, reason: prepareSchema(db) ? null : 'missing' };
  } catch (err) {
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(errnoOf(err) ?? '')) throw err;
    log('the run index is corrupt: deleting it', { file });
    await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${file}${suffix}`, { force: true })));
    await createPrivate(file);
    const db = openIndex(file);
    prepareSchema(db);
    return { db, reason: 'corrupt' };
  }
}

/**
 * Creates the index file owner-only before SQLite opens it: SQLite creates it 0644, and its
 * -wal and -shm files take the database file's mode.
 */
async function createPrivate(file: string): Promise<void> {
  const handle = await open(file, 'a', FILE_MODE);
  await handle.close();
}

/**
 * Checks the index file of `runsDir` with its store's key (read only): null when it opens
 * and passes SQLite's quick check, or when there is none; else what is wrong.
 */
export function checkIndexFile(runsDir: string): { file: string; problem: string | null } {
  const file = join(runsDir, INDEX_FOLDER, INDEX_FILE);
  if (!existsSync(file)) return { file, problem: null };
  try {
    const db = indexOpener(runsDir)(file, true);
    try {
      const result = db.pragma('quick_check', { simple: true });
      return { file, problem: result === 'ok' ? null : `SQLite's quick check says ${String(result)}` };
    } finally {
      db.close();
    }
  } catch (err) {
    return { file, problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * How the index file of `runsDir` is opened: plain SQLite, or, in an encrypted store, an
 * encrypted SQLite (SQLite3MultipleCiphers, SQLCipher's AES-256 scheme: every page, the
 * journal included) keyed with the index's own data key, which the master key wraps like a
 * run's, so a rotation re-wraps it without rewriting the index.
 */
function indexOpener(runsDir: string): (file: string, readonly?: boolean) => Db {
  const key = indexKeyOf(runsDir);
  if (key === null) return (file, readonly = false) => new Database(file, { readonly });
  return (file, readonly = false) => {
    const db = new Database(file, { readonly });
    db.pragma("cipher = 'sqlcipher'");
    db.pragma(`key = "x'${key.bytes.toString('hex')}'"`);
    // A wrong key shows only when a page is read: read one now, so it fails here (SQLITE_NOTADB).
    db.pragma('schema_version');
    return db;
  };
}

/** The mtime of a kind folder; 0 when it does not exist. */
async function folderMtime(dir: string): Promise<number> {
  try {
    return (await stat(dir)).mtimeMs;
  } catch {
    return 0;
  }
}
