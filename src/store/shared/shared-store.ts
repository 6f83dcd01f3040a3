import { resolve } from 'node:path';
import { RunObjects, type RunObjectsOptions } from './objects.js';
import { SharedIndex, type IndexClient, type RunChange } from './postgres.js';

/** How to reach the shared backend (`runs.backend: shared`). */
export interface SharedStoreOptions {
  s3: RunObjectsOptions;
  postgresUrl: string;
}

/**
 * A transaction on the shared index (usually a trace lock's): PG writes go through `client`
 * and commit when it ends; `changed` queues a change for this replica's own catalog, told
 * once committed; `afterCommit` queues work that must wait for the commit (removing the
 * objects of a run whose row the transaction drops: before it, a crash would leave the row
 * naming missing objects).
 */
export interface SharedTransaction {
  client: IndexClient;
  changed(change: RunChange): void;
  afterCommit(task: () => Promise<void>): void;
}

type ChangeListener = (changes: RunChange[]) => void;
/** Told when work after a commit failed (it leaves garbage objects, never a missing one). */
type CleanupListener = (err: unknown) => void;

/**
 * The shared backend of one runs dir: run content in object storage, the index in PG. The
 * local runs dir still holds the write-ahead log, runs being written (staging) and caches.
 */
export class SharedStore {
  private readonly listeners: ChangeListener[] = [];
  private cleanupFailed: CleanupListener = () => undefined;
  /** The PG seq of each local copy's last publish or checkout: a lower one is stale. */
  private readonly localSeqs = new Map<string, string>();

  constructor(
    readonly objects: RunObjects,
    readonly index: SharedIndex,
  ) {}

  /** Calls `listener` with every change this replica commits (its own catalog's read-your-writes). */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Where failures of work after a commit are reported (the daemon logs them). */
  onCleanupFailed(listener: CleanupListener): void {
    this.cleanupFailed = listener;
  }

  /** Runs `fn` under the trace's lock across replicas (see {@link SharedTransaction}). */
  withTraceLock<T>(traceId: string, fn: (tx: SharedTransaction) => Promise<T>): Promise<T> {
    return this.withTransaction(fn, (inner) => this.index.withTraceLock(traceId, inner));
  }

  /** Runs `fn` in a transaction of the shared index; its queued changes and work follow the commit. */
  async withTransaction<T>(
    fn: (tx: SharedTransaction) => Promise<T>,
    open: (inner: (client: IndexClient) => Promise<T>) => Promise<T> = (inner) => this.index.transaction(inner),
  ): Promise<T> {
    const changes: RunChange[] = [];
    const after: (() => Promise<void>)[] = [];
    const result = await open((client) =>
      fn({ client, changed: (change) => changes.push(change), afterCommit: (task) => after.push(task) }),
    );
    if (changes.length > 0) for (const listener of this.listeners) listener(changes);
    for (const task of after) await task().catch((err: unknown) => this.cleanupFailed(err));
    return result;
  }

  /** The seq of the local copy of `runId` as last published or checked out, or undefined. */
  localSeq(runId: string): string | undefined {
    return this.localSeqs.get(runId);
  }

  /** Records (a seq) or forgets (undefined: the local copy is gone) the local copy's seq. */
  setLocalSeq(runId: string, seq: string | undefined): void {
    if (seq === undefined) this.localSeqs.delete(runId);
    else this.localSeqs.set(runId, seq);
  }

  async close(): Promise<void> {
    this.objects.close();
    await this.index.close();
  }
}

/** Connects to both halves, failing in one sentence when either is out of reach. */
export async function openSharedStore(options: SharedStoreOptions): Promise<SharedStore> {
  const objects = new RunObjects(options.s3);
  try {
    await objects.check();
  } catch (err) {
    objects.close();
    throw err;
  }
  let index: SharedIndex;
  try {
    index = await SharedIndex.connect(options.postgresUrl);
  } catch (err) {
    objects.close();
    throw err;
  }
  return new SharedStore(objects, index);
}

// The store's functions take a runs dir, not a backend; the daemon (or a CLI command) that
// opens a shared backend registers it here under its runs dir, and readers ask.
const registry = new Map<string, SharedStore>();

/** Registers (or with null, unregisters) the shared backend of `runsDir`. */
export function useSharedStore(runsDir: string, store: SharedStore | null): void {
  if (store) registry.set(resolve(runsDir), store);
  else registry.delete(resolve(runsDir));
}

/** The shared backend of `runsDir`, or null in local mode. */
export function sharedStoreOf(runsDir: string): SharedStore | null {
  return registry.get(resolve(runsDir)) ?? null;
}
