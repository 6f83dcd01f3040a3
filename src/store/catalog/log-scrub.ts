import type { Database } from 'better-sqlite3-multiple-ciphers';

/** How long after a deletion the index's write-ahead log is folded in and emptied. */
const SCRUB_DELAY_MS = 500;

/**
 * Keeps deleted runs out of the index's write-ahead log (`runs.sqlite-wal`). `secure_delete`
 * zeroes what a deletion frees in the database file, but the log still holds the frames that
 * wrote the run's row until a checkpoint truncates it; SQLite's own checkpoints only rewind
 * it, leaving old frames past the new ones readable. After deletions (a batch of them, within
 * {@link SCRUB_DELAY_MS}) the log is checkpointed and truncated; while a reader keeps it busy,
 * this is tried again later. A process about to close the index scrubs at once.
 */
export class LogScrubber {
  private timer: NodeJS.Timeout | null = null;
  private pending = false;

  constructor(private readonly db: Database) {}

  /** Notes that rows were deleted: the log is scrubbed shortly. */
  deleted(): void {
    this.pending = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scrub();
    }, SCRUB_DELAY_MS);
    this.timer.unref();
  }

  /** Scrubs now if deletions are pending (before closing the database); stops the timer. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scrub();
  }

  private scrub(): void {
    if (!this.pending || !this.db.open || this.db.memory) return;
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    this.pending = false;
    // A reader held the log: try again (a closing process leaves it to the next one).
    if (result?.busy) this.deleted();
  }
}
