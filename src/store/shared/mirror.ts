import type { ForgottenRun, MirroredRun, RunCatalog } from '../catalog/catalog.js';
import type { FollowerLog } from '../catalog/follower.js';

/** How often a replica asks the shared index what changed (INTERFACE.md §12). */
export const MIRROR_POLL_MS = 500;

/**
 * Keeps a replica's local run index (its catalog, opened in mirror mode over the shared
 * index) in step with PostgreSQL: every {@link MIRROR_POLL_MS} ms it applies the changes
 * after its cursor, and the replica's own publishes are applied at once through
 * {@link apply}, so a write is read back on the replica that made it without waiting for a
 * poll. Queries then run the same SQLite code as a local store. Failures (PostgreSQL away)
 * are logged, once per outage, and the next poll tries again: never thrown to the pipeline,
 * whose writes are already in the shared store.
 */
export class IndexMirror {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;

  /**
   * @param forgotten told of the runs each poll removed (another replica's shreds and
   * removals), e.g. to drop this replica's copies of shredded runs' data keys; its failures
   * are logged like a poll's.
   */
  constructor(
    private readonly catalog: RunCatalog,
    private readonly log: FollowerLog,
    private readonly intervalMs = MIRROR_POLL_MS,
    private readonly forgotten: (runs: readonly ForgottenRun[]) => Promise<void> = async () => undefined,
  ) {
    if (!catalog.mirrored) throw new Error('an IndexMirror needs a catalog opened in mirror mode');
  }

  /** Starts polling; the catalog is already current from its open. */
  async start(): Promise<void> {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** Stops polling and waits for a poll under way. Safe before start and twice. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /**
   * Applies changes this replica has just committed to the shared index (a publish, a
   * pin, a shred) to its own index now. Failures are logged: the next poll brings them.
   */
  apply(changes: readonly MirroredRun[]): void {
    try {
      this.catalog.applyMirrored(changes);
    } catch (err) {
      this.log.warn({ err, runs: changes.length }, 'updating the run index after a publish failed; the next poll brings it');
    }
  }

  /** One poll, now (also what the timer runs). Resolves when it is done, whatever happened. */
  poll(): Promise<void> {
    this.polling = this.polling.then(() => this.follow());
    return this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().then(() => this.schedule());
    }, this.intervalMs);
    // A CLI process that mirrors (runs --runs-dir on a shared store) must still exit.
    this.timer.unref();
  }

  private async follow(): Promise<void> {
    try {
      const removed = await this.catalog.follow();
      if (removed.length > 0) await this.forgotten(removed);
      if (this.failing) this.log.info({}, 'following the shared run index again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, 'following the shared run index failed; retrying every poll');
      this.failing = true;
    }
  }
}
