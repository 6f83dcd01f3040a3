import type { Stats } from 'node:fs';
import { relative, sep } from 'node:path';
import { watch } from 'chokidar';
import type { RunKind } from '../../model/index.js';
import { KIND_FOLDERS, isValidRunId } from '../layout.js';
import type { RunLocation } from '../writer.js';
import type { RunCatalog } from './catalog.js';

/** A running watch of a runs dir; see {@link watchRuns}. */
export interface RunWatcher {
  /** Resolves once the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const KIND_OF_FOLDER = new Map<string, RunKind>(
  Object.entries(KIND_FOLDERS).map(([kind, folder]) => [folder, kind as RunKind]),
);

/**
 * Keeps `catalog` in step with run directories added, changed (their metadata.yaml) or
 * removed by anyone — by hand, rsync, another process. Only the kind folders, the run
 * directories and their metadata.yaml are watched, never artifacts or steps. The initial
 * scan re-reads runs whose metadata.yaml changed while nobody watched. Failures go to
 * `onError`; watching goes on.
 */
export function watchRuns(runsDir: string, catalog: RunCatalog, onError: (err: unknown) => void): RunWatcher {
  const watcher = watch(runsDir, {
    depth: 2,
    alwaysStat: true,
    ignored: (path: string) => locate(runsDir, path) === null,
    ignorePermissionErrors: true,
  });
  // One update at a time, so a slow read can never overwrite a newer one.
  let chain = Promise.resolve();
  const update = (path: string, stats?: Stats): void => {
    const found = locate(runsDir, path);
    if (!found?.location) return;
    const { location } = found;
    chain = chain
      .then(async () => {
        if (stats && catalog.indexedMtime(location.runId) === stats.mtimeMs) return;
        await catalog.upsert(location);
      })
      .catch(onError);
  };
  watcher.on('add', update).on('change', update).on('unlink', (path) => update(path)).on('unlinkDir', (path) => update(path));
  watcher.on('error', onError);
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      await watcher.close();
      await chain;
    },
  };
}

/**
 * What a watched path is: the runs dir or a kind folder (no location), a run directory or its
 * metadata.yaml (with the run's location); null for anything not watched.
 */
function locate(runsDir: string, path: string): { location: RunLocation | null } | null {
  const rel = relative(runsDir, path);
  if (rel === '') return { location: null };
  const [folder, runId, file, ...rest] = rel.split(sep);
  const kind = KIND_OF_FOLDER.get(folder ?? '');
  if (!kind || rest.length > 0) return null;
  if (runId === undefined) return { location: null };
  if (!isValidRunId(runId)) return null;
  if (file !== undefined && file !== 'metadata.yaml') return null;
  return { location: { kind, runId } };
}
