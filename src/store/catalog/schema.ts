import type { Database } from 'better-sqlite3-multiple-ciphers';

/** Bump when the table changes: an index of another version is rebuilt from disk. */
export const SCHEMA_VERSION = 2;

// Filter columns first and the wide text last, so scans for stats stay on the first page
// of each row.
const DDL = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  subject TEXT,
  trace_id TEXT,
  status TEXT,
  started_ms INTEGER,
  duration_s REAL,
  model TEXT,
  project TEXT,
  session TEXT,
  tokens INTEGER NOT NULL,
  cost REAL NOT NULL,
  pinned INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  gen INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_subject ON runs (kind, subject, run_id);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, run_id);
CREATE INDEX IF NOT EXISTS runs_model ON runs (model, run_id);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_ms);
CREATE INDEX IF NOT EXISTS runs_trace ON runs (trace_id);
CREATE INDEX IF NOT EXISTS runs_session ON runs (session, run_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archives (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, folder TEXT NOT NULL, bytes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS archives_folder ON archives (folder);
CREATE TABLE IF NOT EXISTS archive_folders (folder TEXT PRIMARY KEY, mtime_ms REAL NOT NULL);
`;

/**
 * Prepares an open database: WAL so the daemon and CLI processes read while one writes, a
 * busy timeout so they wait for each other instead of failing, secure_delete so the text of
 * deleted runs does not linger in free pages. Returns false when the file holds an index of
 * another schema version (or none yet), which must be rebuilt.
 */
export function prepareSchema(db: Database): boolean {
  db.pragma('secure_delete = ON');
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.exec('DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS archives; DROP TABLE IF EXISTS archive_folders;');
  }
  db.exec(DDL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return version === SCHEMA_VERSION;
}
