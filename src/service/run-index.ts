import type { RunWritten } from '../exporter/runstore/index.js';
import type { Component } from '../pipeline/index.js';
import { RunCatalog, RunStore, adoptStagedUploads, watchRuns, type RunWatcher } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

/**
 * The daemon's run index: opened (rebuilt if need be) before the API serves, kept in step
 * with the exporter's writes through {@link runWritten} and with changes made by others
 * through a watcher. Index failures are logged, never fail a write: the run directory is
 * the truth and the index can be rebuilt.
 */
export class RunIndex implements Component {
  private watcher: RunWatcher | null = null;

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
    await this.watcher?.close();
    this.watcher = null;
    this.store.catalog.close();
  }

  /** The exporter's hook: moves staged uploads into the run, then re-reads it into the index. */
  async runWritten(written: RunWritten): Promise<void> {
    const { runsDir, catalog } = this.store;
    const location = { kind: written.kind, runId: written.runId };
    try {
      if (written.replaced) catalog.remove(written.replaced.runId);
      await adoptStagedUploads(runsDir, written.traceId, location);
      await catalog.upsert(location, { metadata: written.metadata, input: written.input, output: written.output });
    } catch (err) {
      this.logger.warn({ err, run_id: written.runId }, 'updating the run index after a write failed');
    }
  }
}
