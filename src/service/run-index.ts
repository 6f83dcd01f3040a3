import type { RunWritten } from '../exporter/runstore/index.js';
import type { Component } from '../pipeline/index.js';
import { RunCatalog, RunStore, adoptStagedUploads, watchRuns, type CatalogChange, type RunWatcher } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

/**
 * How long the exporter's writes gather before they go into the index in one transaction,
 * and how many make a batch go at once. The index (the API's runs list and search) follows
 * a write this much later than before; the run directory itself is written already.
 */
const BATCH_MS = 20;
const BATCH_MAX = 256;

/**
 * The daemon's run index: opened (rebuilt if need be) before the API serves, kept in step
 * with the exporter's writes through {@link runWritten} and with changes made by others
 * through a watcher. Index failures are logged, never fail a write: the run directory is
 * the truth and the index can be rebuilt.
 */
export class RunIndex implements Component {
  private watcher: RunWatcher | null = null;
  private waiting: RunWritten[] = [];
  private timer: NodeJS.Timeout | null = null;
  private indexing: Promise<void> = Promise.resolve();

  private constructor(
    readonly store: RunStore,
    private readonly logger: Logger,
  ) {}

  /** Opens the index of `runsDir`; see {@link RunCatalog.open}. */
  static async open(runsDir: string, logger: Logger): Promise<RunIndex> {
    const catalog = await RunCatalog.open(runsDir, (message, fields) => logger.info(fields, message));
    return new RunIndex(new RunStore(runsDir, catalog), logger);
  }

  async start(): Promise<void> {
    const { runsDir, catalog } = this.store;
    const started = Date.now();
    this.watcher = watchRuns(runsDir, catalog, (err) => this.logger.warn({ err }, 'updating the run index from disk failed'));
    // Not awaited: the initial scan of a large store takes seconds and the index is already
    // current from open(); the scan only catches what changes meanwhile.
    void this.watcher.ready.then(() => this.logger.debug({ ms: Date.now() - started }, 'watching the runs dir'));
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.watcher?.close();
    this.watcher = null;
    this.store.catalog.close();
  }

  /**
   * The exporter's hook: moves staged uploads into the run now (before any later write of
   * the trace can move the run), then queues the run for the index. Queued runs go in
   * together, in the order written, every {@link BATCH_MS} ms: one SQLite transaction per
   * batch instead of one per run.
   */
  async runWritten(written: RunWritten): Promise<void> {
    const location = { kind: written.kind, runId: written.runId };
    try {
      await adoptStagedUploads(this.store.runsDir, written.traceId, location);
    } catch (err) {
      this.logger.warn({ err, run_id: written.runId }, 'moving staged uploads into a run failed');
    }
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

  // Index failures are logged, never thrown: the run directory is the truth.
  private async index(batch: readonly RunWritten[]): Promise<void> {
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
        if (err) this.logger.warn({ err, run_id: runOf[i] }, 'updating the run index after a write failed');
      });
    } catch (err) {
      this.logger.warn({ err, runs: batch.length }, 'updating the run index after writes failed');
    }
  }
}
