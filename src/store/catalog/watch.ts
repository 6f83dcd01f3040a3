import type { Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { decodeTime } from 'ulid';
import type { RunKind } from '../../model/index.js';
import { KIND_FOLDERS, isValidRunId } from '../layout.js';
import type { RunLocation } from '../writer.js';
import type { RunCatalog } from './catalog.js';

/** A running watch of a runs dir; see {@link watchRuns}. */
export interface RunWatcher {
  /** Resolves once the initial scans are done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link watchRuns}. */
export interface WatchOptions {
  /** Runs started this recently (by their id) also have their metadata.yaml watched. */
  recentMs?: number;
  nowMs?: number;
}

/** What a watched path is: the runs dir or a kind folder (no run), a run directory or its metadata.yaml. */
interface WatchedPath {
  location: RunLocation | null;
  isMetadata: boolean;
}

const KIND_OF_FOLDER = new Map<string, RunKind>(
  Object.entries(KIND_FOLDERS).map(([kind, folder]) => [folder, kind as RunKind]),
);
const DAY_MS = 86_400_000;
const ADD_RETRY_MS = 250;
const ADD_RETRIES = 20;

/**
 * Keeps `catalog` in step with changes made by anyone — by hand, rsync, another process.
 * Run directories added or removed are seen at any age, for the cost of watching the two
 * kind folders. Changes inside a run directory (its metadata.yaml rewritten) are seen for runs
 * started within `recentMs` (a day), the ones still being written or re-synced: watching
 * every run of a 100k-run store would take one inotify watch each. Older runs changed in
 * place are picked up by `runs reindex`. Failures go to `onError`; watching goes on.
 */
export function watchRuns(runsDir: string, catalog: RunCatalog, onError: (err: unknown) => void, options: WatchOptions = {}): RunWatcher {
  const oldest = (options.nowMs ?? Date.now()) - (options.recentMs ?? DAY_MS);
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
  let scanning = true;
  const folders = watch(runsDir, { depth: 1, ignored: (path: string) => locate(runsDir, path)?.isMetadata !== false });
  folders.on('addDir', (path) => {
    const location = locate(runsDir, path)?.location;
    const initial = scanning;
    if (location) update(location, () => initial && catalog.indexedMtime(location.runId) !== null, ADD_RETRIES);
  });
  folders.on('unlinkDir', (path) => {
    const location = locate(runsDir, path)?.location;
    if (location) update(location, () => false);
  });
  const recent = watch(runsDir, {
    depth: 2,
    alwaysStat: true,
    ignored: (path: string) => {
      const found = locate(runsDir, path);
      return found === null || (found.location !== null && decodeTime(found.location.runId) < oldest);
    },
  });
  const onMetadata = (path: string, stats?: Stats): void => {
    const found = locate(runsDir, path);
    if (found?.location && found.isMetadata) update(found.location, () => stats !== undefined && catalog.indexedMtime(found.location?.runId ?? '') === stats.mtimeMs);
  };
  recent.on('add', onMetadata).on('change', onMetadata).on('unlink', (path) => onMetadata(path));
  const watchers: FSWatcher[] = [folders, recent];
  for (const watcher of watchers) watcher.on('error', onError);
  const ready = Promise.all(watchers.map((w) => new Promise<void>((resolve) => w.once('ready', () => resolve()))));
  void ready.then(() => (scanning = false));
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
