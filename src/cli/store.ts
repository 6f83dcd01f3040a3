import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sharedBackendSettings, type ParacleConfig } from '../config/index.js';
import { keysDirOf, storeMasterKey, type MasterKey } from '../crypt/index.js';
import { FILE_MODE, InvalidInputError, makeDirectory, NotFoundError } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import {
  ARCHIVE_FOLDER,
  checkoutRun,
  listArchives,
  listRunLocations,
  localRunFiles,
  openSharedStore,
  openStoreEncryption,
  publishRun,
  runDirectory,
  runFolder,
  START_CURSOR,
  takeChangeLock,
  TraceClaimedError,
  type SharedStore,
  type SharedStoreOptions,
} from '../store/index.js';
import { configured, configuredRunsDir, printJson } from './runs/options.js';
import { progressBar } from './runs/progress.js';

/** The flags of `paracle store migrate`. */
export interface StoreMigrateFlags {
  to: 'shared' | 'local';
  runsDir?: string;
  config?: string;
  json?: boolean;
}

/** A run as both sides name it. */
interface RunRef {
  kind: RunKind;
  runId: string;
}

/** What a migration copied (or found copied already) and what its verification found. */
interface MigrationReport {
  to: 'shared' | 'local';
  runs_dir: string;
  runs: number;
  archives: number;
  keys: number;
  /** Runs, archives and keys already identical on the other side (an earlier, interrupted run). */
  already: number;
  /** Content files compared by SHA-256 after the copy. */
  files_verified: number;
  /** Rows of the migrated runs in PostgreSQL (--to shared), or runs in the local store (--to local). */
  rows: number;
  problems: string[];
}

const PAGE = 1000;

/**
 * `paracle store migrate --to shared|local` (INTERFACE.md §1, §12): copies every live run,
 * every archive and every wrapped data key between the local runs dir and the configured
 * shared backend, stored bytes as they are (sealed, compressed), then verifies the copy:
 * the same files, the same SHA-256 of each, a row per run. What is identical on the other
 * side already is left alone, so an interrupted migration is finished by running it again.
 * Refuses while a daemon serves the runs dir. Returns the exit code: 1 when the
 * verification found a difference (each named on stderr).
 */
export async function storeMigrateCommand(flags: StoreMigrateFlags): Promise<number> {
  const env = process.env;
  const config = await configured(flags, env);
  const options = sharedStoreOptions(config);
  const runsDir = await configuredRunsDir(flags, env);
  if (flags.to === 'local') await makeDirectory(runsDir);
  else await listRunLocations(runsDir);
  const lock = takeChangeLock(runsDir, 'paracle store migrate');
  try {
    const shared = await openSharedStore(options);
    try {
      const report =
        flags.to === 'shared'
          ? await toShared(runsDir, shared, storeMasterKey(config.privacy.encryption, env), flags)
          : await toLocal(runsDir, shared, flags);
      for (const problem of report.problems) process.stderr.write(`paracle: ${problem}\n`);
      if (flags.json) printJson(report);
      else process.stdout.write(summary(report, options));
      return report.problems.length === 0 ? 0 : 1;
    } finally {
      await shared.close();
    }
  } finally {
    lock.release();
  }
}

/** The shared backend the config names; a usage error when it names none. */
function sharedStoreOptions(config: ParacleConfig): SharedStoreOptions {
  const settings = sharedBackendSettings(config);
  if (settings === null) throw new InvalidInputError('the config names no shared backend: set runs.s3.bucket (and endpoint...) and runs.postgres.url');
  return settings;
}

/** Local runs dir -> shared backend. */
async function toShared(runsDir: string, shared: SharedStore, master: MasterKey | null, flags: StoreMigrateFlags): Promise<MigrationReport> {
  // Publishing reads each run's metadata (its catalog entry) through the store's codec.
  openStoreEncryption(runsDir, master);
  const report = emptyReport('shared', runsDir);
  const runs = await listRunLocations(runsDir);
  const archives = (await listArchives(runsDir)).map((a) => relativePath(runsDir, a.file));
  const keys = await localFiles(runsDir, keysDirOf(runsDir));
  const progress = reporter('copying to the shared backend', runs.length + archives.length + keys.length, flags);
  const copied: RunRef[] = [];
  const refused = new Set<string>();
  for (const run of runs) {
    // Copied already: its row is there (written last) and its objects are its files.
    if ((await shared.index.row(run.runId)) !== null && (await runMatches(runsDir, shared, run, report, false))) report.already += 1;
    else {
      try {
        await publishRun(runsDir, shared, run);
        copied.push(run);
      } catch (err) {
        if (!(err instanceof TraceClaimedError)) throw err;
        report.problems.push(`run ${run.runId} not copied: the shared store holds another run of its trace (${err.message})`);
        refused.add(run.runId);
      }
    }
    report.runs += 1;
    progress.step();
  }
  for (const path of [...archives, ...keys]) {
    if (await sameContent(join(runsDir, path), shared, path)) report.already += 1;
    else await shared.objects.putFile(path, join(runsDir, path));
    progress.step();
  }
  progress.end();
  report.archives = archives.length;
  report.keys = keys.length;
  // What was copied now is verified now; what was there already was compared just above.
  for (const run of copied) await runMatches(runsDir, shared, run, report, true);
  for (const path of [...archives, ...keys]) await compareFile(runsDir, shared, path, report);
  for (const run of runs.filter((r) => !refused.has(r.runId))) {
    const row = await shared.index.row(run.runId);
    if (row?.kind === run.kind) report.rows += 1;
    else report.problems.push(`run ${run.runId} has no row in PostgreSQL`);
  }
  return report;
}

/** Shared backend -> local runs dir. */
async function toLocal(runsDir: string, shared: SharedStore, flags: StoreMigrateFlags): Promise<MigrationReport> {
  const report = emptyReport('local', runsDir);
  // The wrapped data keys first: a checkout fetches those its files name.
  const keysKey = relativePath(runsDir, keysDirOf(runsDir));
  const keys = (await shared.objects.list(keysKey)).map((o) => `${keysKey}/${o.path}`);
  const archives = (await shared.objects.list(ARCHIVE_FOLDER)).map((o) => `${ARCHIVE_FOLDER}/${o.path}`);
  const runs = await sharedRuns(shared);
  const progress = reporter('copying to the local runs dir', runs.length + archives.length + keys.length, flags);
  for (const path of [...keys, ...archives]) {
    if (await sameContent(join(runsDir, path), shared, path)) report.already += 1;
    else await download(shared, path, join(runsDir, path));
    progress.step();
  }
  const copied: RunRef[] = [];
  for (const run of runs) {
    if (await runMatches(runsDir, shared, run, report, false)) report.already += 1;
    else {
      if (!(await checkoutRun(runsDir, shared, run))) report.problems.push(`run ${run.runId} has a row in PostgreSQL but no objects`);
      else copied.push(run);
    }
    report.runs += 1;
    progress.step();
  }
  progress.end();
  report.archives = archives.length;
  report.keys = keys.length;
  for (const run of copied) await runMatches(runsDir, shared, run, report, true);
  for (const path of [...keys, ...archives]) await compareFile(runsDir, shared, path, report);
  const local = new Set((await listRunLocations(runsDir)).map((r) => r.runId));
  report.rows = runs.filter((run) => local.has(run.runId)).length;
  for (const run of runs) if (!local.has(run.runId)) report.problems.push(`run ${run.runId} is not in the local runs dir`);
  return report;
}

/** Every live run of the shared index, read from its change feed from the start. */
async function sharedRuns(shared: SharedStore): Promise<RunRef[]> {
  const live = new Map<string, RunRef>();
  let cursor = START_CURSOR;
  for (;;) {
    const page = await shared.index.changesSince(cursor, PAGE);
    for (const change of page.changes) {
      if (change.deleted) live.delete(change.runId);
      else live.set(change.runId, { kind: change.kind, runId: change.runId });
    }
    if (page.changes.length < PAGE || page.cursor === cursor) break;
    cursor = page.cursor;
  }
  return [...live.values()].sort((a, b) => (a.runId < b.runId ? -1 : 1));
}

/**
 * Whether a run's local files and its objects are the same files with the same SHA-256.
 * `record`: count the files compared and name each difference as a problem.
 */
async function runMatches(runsDir: string, shared: SharedStore, run: RunRef, report: MigrationReport, record: boolean): Promise<boolean> {
  const folder = runFolder(run);
  const local = (await localRunFiles(runsDir, run)).sort();
  const remote = (await shared.objects.list(folder)).map((o) => o.path).sort();
  const missing = [...difference(local, remote), ...difference(remote, local)];
  if (missing.length > 0) {
    if (record) report.problems.push(`run ${run.runId}: ${missing.slice(0, 3).join(', ')} on one side only`);
    return false;
  }
  const dir = runDirectory(runsDir, run.kind, run.runId);
  for (const path of local) {
    const same = await sameContent(join(dir, path), shared, `${folder}/${path}`);
    if (record) report.files_verified += 1;
    if (!same) {
      if (record) report.problems.push(`run ${run.runId}: ${path} differs from its object (SHA-256)`);
      return false;
    }
  }
  return true;
}

async function compareFile(runsDir: string, shared: SharedStore, path: string, report: MigrationReport): Promise<void> {
  report.files_verified += 1;
  if (!(await sameContent(join(runsDir, path), shared, path))) report.problems.push(`${path} differs from its object (SHA-256)`);
}

/** Whether a local file and an object hold the same bytes (false when either is missing). */
async function sameContent(file: string, shared: SharedStore, key: string): Promise<boolean> {
  const local = await sha256(createReadStream(file)).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  });
  if (local === null) return false;
  const object = await shared.objects.open(key).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null;
    throw err;
  });
  return object !== null && (await sha256(object)) === local;
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Downloads an object to `file` (0600, folders 0700), atomically. */
async function download(shared: SharedStore, key: string, file: string): Promise<void> {
  await makeDirectory(dirname(file));
  const tmp = join(dirname(file), `.migrate.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(await shared.objects.open(key), createWriteStream(tmp, { mode: FILE_MODE }));
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The regular files under `folder`, as runs-dir-relative paths; [] when it does not exist. */
async function localFiles(runsDir: string, folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).map((e) => relativePath(runsDir, join(folder, e.name)));
}

function relativePath(runsDir: string, file: string): string {
  return relative(runsDir, file).split(sep).join('/');
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((item) => !other.has(item));
}

function emptyReport(to: 'shared' | 'local', runsDir: string): MigrationReport {
  return { to, runs_dir: runsDir, runs: 0, archives: 0, keys: 0, already: 0, files_verified: 0, rows: 0, problems: [] };
}

function reporter(label: string, total: number, flags: StoreMigrateFlags): { step(): void; end(): void } {
  const bar = flags.json ? null : progressBar(process.stderr, label, total);
  let done = 0;
  return { step: () => bar?.update((done += 1)), end: () => bar?.end() };
}

function summary(report: MigrationReport, options: SharedStoreOptions): string {
  const where = `s3://${options.s3.bucket}/${options.s3.prefix} and PostgreSQL`;
  const [from, to] = report.to === 'shared' ? [report.runs_dir, where] : [where, report.runs_dir];
  const verdict =
    report.problems.length === 0
      ? `verified: ${report.files_verified} file(s) by SHA-256, ${report.rows} run(s) indexed.\n`
      : `NOT verified: ${report.problems.length} problem(s) above; run it again to copy what differs.\n`;
  return (
    `copied ${report.runs} run(s), ${report.archives} archive(s) and ${report.keys} data key file(s) from ${from} to ${to}` +
    ` (${report.already} already there).\n${verdict}`
  );
}
