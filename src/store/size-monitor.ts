import type { StoreSize } from '../model/index.js';
import type { FollowerLog } from './catalog/follower.js';
import { measureStore } from './size.js';

/** How often the store is measured for `paracle_store_runs` and `paracle_store_bytes`. */
const STORE_MEASURE_INTERVAL_MS = 30_000;
// A walk of a large store takes seconds of CPU; the pause after one is at least this many
// times as long, so measuring never takes more than a tenth of a core.
const PAUSE_PER_WALK = 10;

/**
 * Keeps a recent measurement of the run store for the store gauges. Measuring walks every
 * file, so it happens in the background every `intervalMs` or longer on a large store (one
 * walk at a time), and a scrape only reads the latest result.
 */
export class StoreSizeMonitor {
  private latest: StoreSize | null = null;
  private walking: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly runsDir: string,
    private readonly log: Pick<FollowerLog, 'warn'>,
    private readonly intervalMs = STORE_MEASURE_INTERVAL_MS,
  ) {}

  /** The latest measurement, or null before the first walk finished. */
  get size(): StoreSize | null {
    return this.latest;
  }

  /** Starts the first walk (without waiting for it); each walk schedules the next. */
  start(): Promise<void> {
    this.refresh();
    return Promise.resolve();
  }

  /** Stops measuring, cutting a walk in progress short. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.walking;
  }

  /** Starts a walk now, unless one is in progress. */
  refresh(): void {
    if (this.walking || this.stopped) return;
    clearTimeout(this.timer);
    const started = performance.now();
    this.walking = measureStore(this.runsDir, this.stopping.signal)
      .then((size) => {
        this.latest = size;
      })
      .catch((err: unknown) => {
        if (!this.stopping.signal.aborted) this.log.warn({ err }, 'measuring the run store failed');
      })
      .finally(() => {
        this.walking = null;
        if (this.stopped) return;
        const pause = Math.max(this.intervalMs, PAUSE_PER_WALK * (performance.now() - started));
        this.timer = setTimeout(() => this.refresh(), pause);
        this.timer.unref();
      });
  }
}
