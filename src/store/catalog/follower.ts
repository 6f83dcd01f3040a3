import { RunStore } from '../run-store.js';
import type { RunRef } from '../writer.js';
import { RunCatalog, type CatalogChange, type CatalogLog } from './catalog.js';
import type { RunContent } from './entry.js';
import { watchRuns, type RunWatcher } from './watch.js';

/**
 * How long written runs gather before they go into the index in one transaction, and how
 * many make a batch go at once. The index (the API's list and search) follows a write this
 * much later; the run directory itself is written already.
 */
const BATCH_MS = 20;
const BATCH_MAX = 256;

/** A run directory just written, as the index needs it. */
export interface IndexedWrite extends RunRef, RunContent {
  /** Where the run lived before, when the write moved it (its kind or id changed). */
  replaced: RunRef | null;
}

/**
 * Keeps a runs dir's index in step with the store: writes the run-store exporter reports
 * through {@link runWritten}, and changes made by anyone else through a watcher of the kind
 * folders. Opened (rebuilt if need be) before the API serves. Index failures are reported to
 * `warn`, never thrown: the run directory is the truth and the index can be rebuilt.
 */
export class CatalogFollower {
  private watcher: RunWatcher | null = null;
  private waiting: IndexedWrite[] = [];
  private timer: NodeJS.Timeout | null = null;
  private indexing: Promise<void> = Promise.resolve();

  private constructor(
    readonly store: RunStore,
    private readonly warn: CatalogLog,
  ) {}

  /** Opens the index of `runsDir`; `info` hears of rebuilds, `warn` of failures. See {@link RunCatalog.open}. */
  static async open(runsDir: string, info: CatalogLog, warn: CatalogLog): Promise<CatalogFollower> {
    const catalog = await RunCatalog.open(runsDir, info);
    return new CatalogFollower(new RunStore(runsDir, catalog), warn);
  }

  /** Starts watching the kind folders; resolves without waiting for the initial scan. */
  async start(): Promise<void> {
    const { runsDir, catalog } = this.store;
    // Not awaited: the initial scan of a large store takes seconds and the index is already
    // current from open(); the scan only catches what changes meanwhile.
    this.watcher = watchRuns(runsDir, catalog, (err) => this.warn('updating the run index from disk failed', { err }));
  }

  /** Indexes what is queued, stops watching and closes the index. */
  async shutdown(): Promise<void> {
    await this.flush();
    await this.watcher?.close();
    this.watcher = null;
    this.store.catalog.close();
  }

  /**
   * Queues a written run for the index. Queued runs go in together, in the order written,
   * every {@link BATCH_MS} ms: one SQLite transaction per batch instead of one per run.
   */
  runWritten(written: IndexedWrite): void {
    this.waiting.push(written);
    if (this.waiting.length >= BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  /** Puts the queued runs into the index; resolves when they and every earlier batch are in. */
  private flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length > 0) this.indexing = this.indexing.then(() => this.index(batch));
    return this.indexing;
  }

  private async index(batch: readonly IndexedWrite[]): Promise<void> {
    const changes: CatalogChange[] = [];
    const runOf: string[] = [];
    for (const w of batch) {
      if (w.replaced) {
        changes.push({ remove: w.replaced.runId });
        runOf.push(w.replaced.runId);
      }
      changes.push({ upsert: { kind: w.kind, runId: w.runId }, written: { metadata: w.metadata, input: w.input, output: w.output } });
      runOf.push(w.runId);
    }
    try {
      const errors = await this.store.catalog.apply(changes);
      errors.forEach((err, i) => {
        if (err) this.warn('updating the run index after a write failed', { err, run_id: runOf[i] });
      });
    } catch (err) {
      this.warn('updating the run index after writes failed', { err, runs: batch.length });
    }
  }
}
