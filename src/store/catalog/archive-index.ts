/**
 * The archived runs in the index (table `archives`), kept current cheaply: each month folder
 * of `.archive/` is listed again only when its mtime changed since the index last looked, so
 * reading the store's size at every scrape costs a few `stat`s.
 */
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3-multiple-ciphers';
import type { RunKind } from '../../model/index.js';
import { listEntries } from '../artifacts.js';
import { archiveKindFolder, runIdOfArchive } from '../archive/layout.js';
import { errnoOf } from '../errors.js';

const KINDS: readonly RunKind[] = ['agent', 'workflow'];
const YEAR = /^\d{4}$/;
const MONTH = /^(0[1-9]|1[0-2])$/;

/** The mtime of `path`, or null when it does not exist. */
async function mtimeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
    throw err;
  }
}

/** Lists the month folders of `.archive/` and re-reads those that changed into `archives`. */
export async function refreshArchiveIndex(db: Database, runsDir: string): Promise<void> {
  const known = new Map((db.prepare('SELECT folder, mtime_ms FROM archive_folders').all() as { folder: string; mtime_ms: number }[])
    .map((row) => [row.folder, row.mtime_ms]));
  const seen = new Set<string>();
  for (const kind of KINDS) {
    const base = archiveKindFolder(runsDir, kind);
    for (const year of (await listEntries(base)).filter((e) => e.isDirectory() && YEAR.test(e.name))) {
      for (const month of (await listEntries(join(base, year.name))).filter((e) => e.isDirectory() && MONTH.test(e.name))) {
        const folder = join(base, year.name, month.name);
        seen.add(folder);
        const mtime = await mtimeOf(folder);
        if (mtime !== null && known.get(folder) !== mtime) await readMonth(db, kind, folder, mtime);
      }
    }
  }
  for (const folder of known.keys()) if (!seen.has(folder)) forgetMonth(db, folder);
}

async function readMonth(db: Database, kind: RunKind, folder: string, mtime: number): Promise<void> {
  const archives: { runId: string; bytes: number }[] = [];
  for (const entry of await listEntries(folder)) {
    const runId = entry.isFile() ? runIdOfArchive(entry.name) : null;
    if (runId === null) continue;
    try {
      archives.push({ runId, bytes: (await lstat(join(folder, entry.name))).size });
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  db.transaction(() => {
    forgetMonth(db, folder);
    const insert = db.prepare('INSERT OR REPLACE INTO archives (run_id, kind, folder, bytes) VALUES (?, ?, ?, ?)');
    for (const archive of archives) insert.run(archive.runId, kind, folder, archive.bytes);
    db.prepare('INSERT INTO archive_folders (folder, mtime_ms) VALUES (?, ?)').run(folder, mtime);
  })();
}

function forgetMonth(db: Database, folder: string): void {
  db.prepare('DELETE FROM archives WHERE folder = ?').run(folder);
  db.prepare('DELETE FROM archive_folders WHERE folder = ?').run(folder);
}
