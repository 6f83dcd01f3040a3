import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from '../errors.js';
import { isValidRunId } from '../layout.js';
import { runIdsIn } from '../reader.js';
import { kindFolders } from '../run-files.js';
import type { RunRef } from '../writer.js';
import type { RunCatalog } from './catalog.js';
import { makeDirectorySync } from '../../lib/index.js';

/** A running watch of a runs dir; see {@link watchRuns}. */
export interface RunWatcher {
  /** Resolves once the initial scans are done and changes are being reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const ADD_RETRY_MS = 250;
const ADD_RETRIES = 20;
/**
 * How long a changed name waits before it is looked at. Events of a burst are looked at
 * once, and by then the daemon has usually indexed a run it just created itself, which
 * leaves the watcher one stat and one index lookup to do.
 */
const SETTLE_MS = 200;

/**
 * Keeps `catalog` in step with run directories added or removed by anyone — by hand, rsync,
 * another process — for the cost of watching the two kind folders. Each event names the
 * entry that changed, and only that entry is looked at: a change costs the same whether the
 * folder holds ten runs or a million (a watcher that lists the folder on every change made
 * each new run cost as much as all the runs before it). Changes inside a run directory are
 * not watched: the daemon reports its own writes to the index; a run edited in place by
 * hand is picked up by `runs reindex`. Failures go to `onError`; watching goes on.
 */
export function watchRuns(runsDir: string, catalog: RunCatalog, onError: (err: unknown) => void): RunWatcher {
  // One update at a time, so a slow read can never overwrite a newer one.
  let chain = Promise.resolve();
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const enqueue = (task: () => Promise<void>): void => {
    if (!closed) chain = chain.then(task).catch(onError);
  };
  const update = (location: RunRef, skip: () => boolean, retries = 0): void =>
    enqueue(async () => {
      if (closed || skip() || (await catalog.upsert(location)) || retries === 0) return;
      // A directory being copied in exists before its metadata.yaml does: look again soon.
      later(ADD_RETRY_MS, () => update(location, skip, retries - 1));
    });
  // The daemon indexes its own runs as it writes them: only a run not indexed yet is read.
  const added = (location: RunRef): void => update(location, () => catalog.indexedMtime(location.runId) !== null, ADD_RETRIES);

  const folders = kindFolders(runsDir);
  const watchers: FSWatcher[] = [];
  for (const { kind, dir } of folders) {
    makeDirectorySync(dir);
    const changed = new Set<string>();
    const look = (): void => {
      const names = [...changed];
      changed.clear();
      for (const runId of names) {
        enqueue(async () => {
          if (closed) return;
          const location = { kind, runId };
          if (await isDirectory(join(dir, runId))) added(location);
          else update(location, () => false);
        });
      }
    };
    const watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (closed) return;
      // No name (some platforms, or lost events): look at the whole folder once.
      if (name === null) return enqueue(async () => (closed ? undefined : catalog.refresh()));
      if (!isValidRunId(name)) return;
      if (changed.size === 0) later(SETTLE_MS, look);
      changed.add(name);
    });
    watcher.on('error', onError);
    watchers.push(watcher);
  }
  // What was added between the catalog's open and the watch: one listing per folder.
  const ready = Promise.all(
    folders.map(async ({ kind, dir }) => {
      for (const runId of await runIdsIn(dir)) if (catalog.indexedMtime(runId) === null) added({ kind, runId });
    }),
  ).catch(onError);
  return {
    ready: ready.then(() => undefined),
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const watcher of watchers) watcher.close();
      await ready;
      await chain;
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
    throw err;
  }
}
