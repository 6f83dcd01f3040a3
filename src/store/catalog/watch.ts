import { mkdirSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { RunKind } from '../../model/index.js';
import { KIND_FOLDERS, isValidRunId } from '../layout.js';
import type { RunLocation } from '../writer.js';
import { kindFolders } from '../run-files.js';
import type { RunCatalog } from './catalog.js';

/** A running watch of a runs dir; see {@link watchRuns}. */
export interface RunWatcher {
  /** Resolves once the initial scans are done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** What a watched path is: the runs dir or a kind folder (no run), a run directory or its metadata.yaml. */
interface WatchedPath {
  location: RunLocation | null;
  isMetadata: boolean;
}

const KIND_OF_FOLDER = new Map<string, RunKind>(
  Object.entries(KIND_FOLDERS).map(([kind, folder]) => [folder, kind as RunKind]),
);
const ADD_RETRY_MS = 250;
const ADD_RETRIES = 20;

/**
 * Keeps `catalog` in step with run directories added or removed by anyone — by hand, rsync,
 * another process — for the cost of watching the two kind folders. Changes inside a run
 * directory are not watched: the daemon reports its own writes to the index, and watching
 * inside every run directory cost more than the writes themselves (one scan and one inotify
 * watch per new run); a run edited in place by hand is picked up by `runs reindex`.
 * Failures go to `onError`; watching goes on.
 */
export function watchRuns(runsDir: string, catalog: RunCatalog, onError: (err: unknown) => void): RunWatcher {
  // One update at a time, so a slow read can never overwrite a newer one.
  let chain = Promise.resolve();
  let closed = false;
  const update = (location: RunLocation, skip: () => boolean, retries = 0): void => {
    if (closed) return;
    chain = chain
      .then(async () => {
        if (skip() || (await catalog.upsert(location)) || retries === 0) return;
        // A directory being copied in exists before its metadata.yaml does: look again soon.
        setTimeout(() => update(location, skip, retries - 1), ADD_RETRY_MS).unref();
      })
      .catch(onError);
  };
  // Only the kind folders' own entries: descending into run directories lists each new one.
  const dirs = kindFolders(runsDir).map((folder) => folder.dir);
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  const folders = watch(dirs, { depth: 0, ignored: (path: string) => locate(runsDir, path)?.isMetadata !== false });
  // The daemon indexes its own runs as it writes them: only a run not indexed yet is read.
  folders.on('addDir', (path) => {
    const location = locate(runsDir, path)?.location;
    if (location) update(location, () => catalog.indexedMtime(location.runId) !== null, ADD_RETRIES);
  });
  folders.on('unlinkDir', (path) => {
    const location = locate(runsDir, path)?.location;
    if (location) update(location, () => false);
  });
  const watchers: FSWatcher[] = [folders];
  for (const watcher of watchers) watcher.on('error', onError);
  const ready = Promise.all(watchers.map((w) => new Promise<void>((resolve) => w.once('ready', () => resolve()))));
  return {
    ready: ready.then(() => undefined),
    async close() {
      closed = true;
      await Promise.all(watchers.map((w) => w.close()));
      await chain;
    },
  };
}

function locate(runsDir: string, path: string): WatchedPath | null {
  const rel = relative(runsDir, path);
  if (rel === '') return { location: null, isMetadata: false };
  const [folder, runId, file, ...rest] = rel.split(sep);
  const kind = KIND_OF_FOLDER.get(folder ?? '');
  if (!kind || rest.length > 0) return null;
  if (runId === undefined) return { location: null, isMetadata: false };
  if (!isValidRunId(runId)) return null;
  if (file !== undefined && file !== 'metadata.yaml') return null;
  return { location: { kind, runId }, isMetadata: file !== undefined };
}
