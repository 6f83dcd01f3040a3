import { RunStore } from '../run-store.js';
import { locateTraceRun, type TraceRunEntry } from '../trace-map.js';
import type { RunRef } from '../writer.js';
import { IndexMirror, MIRROR_POLL_MS } from '../shared/mirror.js';
import { dropShreddedKeys } from '../shared/shared-run.js';
import type { SharedStore } from '../shared/shared-store.js';
import { RunCatalog, type CatalogChange, type MirroredRun } from './catalog.js';
import type { RunContent } from './entry.js';
import { watchRuns, type RunWatcher } from './watch.js';

/**
 * How long written runs gather before they go into the index in one transaction, and how
 * many make a batch go at once. The index (the API's list and search) follows a write this
 * much later; the run directory itself is written already.
 */
const BATCH_MS = 20;
const BATCH_MAX = 256;

/** What the follower logs to: a pino logger fits; the store needs no logging library. */
export interface FollowerLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

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
 *
 * On the shared backend the index is a mirror of the shared index instead ({@link mirror}):
 * no watcher, and written runs reach it through {@link published} once they are in the
 * shared store, not from their staging copy.
 */
export class CatalogFollower {
  private watcher: RunWatcher | null = null;
  private waiting: IndexedWrite[] = [];
  private timer: NodeJS.Timeout | null = null;
  private indexing: Promise<void> = Promise.resolve();

  private constructor(
    readonly store: RunStore,
    private readonly log: FollowerLog,
    /** What follows the shared index into this one, on the shared backend; else null. */
    readonly mirror: IndexMirror | null,
  ) {}

  /**
   * Opens the index of `runsDir` (rebuilds are logged at info); see {@link RunCatalog.open}.
   * `shared`: the shared backend's store, whose index this one mirrors.
   */
  static async open(runsDir: string, log: FollowerLog, shared?: SharedStore): Promise<CatalogFollower> {
    const catalog = await RunCatalog.open(runsDir, (message, fields) => log.info(fields, message), shared?.index);
    const mirror = shared ? new IndexMirror(catalog, log, MIRROR_POLL_MS, (runs) => dropShreddedKeys(runsDir, shared, runs)) : null;
    return new CatalogFollower(new RunStore(runsDir, catalog), log, mirror);
  }

  /**
   * Starts watching the kind folders (a mirror: polling the shared index); resolves without
   * waiting for the initial scan.
   */
  async start(): Promise<void> {
    if (this.mirror) return this.mirror.start();
    const { runsDir, catalog } = this.store;
    const started = Date.now();
    this.watcher = watchRuns(runsDir, catalog, (err) => this.log.warn({ err }, 'updating the run index from disk failed'));
    // Not awaited: the initial scan of a large store takes seconds and the index is already
    // current from open(); the scan only catches what changes meanwhile.
    void this.watcher.ready.then(() => this.log.debug({ ms: Date.now() - started }, 'watching the runs dir'));
  }

  /** Indexes what is queued, stops watching and closes the index. */
  async shutdown(): Promise<void> {
    await this.flush();
    await this.watcher?.close();
    this.watcher = null;
    await this.mirror?.shutdown();
    this.store.catalog.close();
  }

  /**
   * Queues a written run for the index. Queued runs go in together, in the order written,
   * every {@link BATCH_MS} ms: one SQLite transaction per batch instead of one per run.
   */
  runWritten(written: IndexedWrite): void {
    // A mirror learns of the write when it is published ({@link published}).
    if (this.mirror) return;
    this.waiting.push(written);
    if (this.waiting.length >= BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  /**
   * On the shared backend, runs this replica has just committed to the shared index (a
   * publish, a removal): into its own index at once. Does nothing on a local store.
   */
  published(changes: readonly MirroredRun[]): void {
    this.mirror?.apply(changes);
  }

  /**
   * The run of trace `traceId` as the index holds it (see trace-map.ts). Runs queued by
   * {@link runWritten} and not yet indexed are not found: their writer knows them.
   */
  locateTrace(traceId: string): TraceRunEntry | null {
    return locateTraceRun(this.store.catalog, traceId);
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
      const { metadata, input, output, mtimeMs, bytes } = w;
      changes.push({ upsert: { kind: w.kind, runId: w.runId }, written: { metadata, input, output, mtimeMs, bytes } });
      runOf.push(w.runId);
    }
    try {
      const errors = await this.store.catalog.apply(changes);
      errors.forEach((err, i) => {
        if (err) this.log.warn({ err, run_id: runOf[i] }, 'updating the run index after a write failed');
      });
    } catch (err) {
      this.log.warn({ err, runs: batch.length }, 'updating the run index after writes failed');
    }
  }
}
