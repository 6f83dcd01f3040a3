import type { StoreSize } from '../model/index.js';
import type { Component } from '../pipeline/index.js';
import { measureStore } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';

/** How often the store is measured for `paracle_store_runs` and `paracle_store_bytes`. */
const STORE_MEASURE_INTERVAL_MS = 30_000;

/**
 * Keeps a recent measurement of the run store for the store gauges. Measuring walks every
 * file, so it happens in the background every `intervalMs` (one walk at a time), and a
 * scrape only reads the latest result.
 */
export class StoreSizeMonitor implements Component {
  private latest: StoreSize | null = null;
  private walking: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly runsDir: string,
    private readonly logger: Logger,
    private readonly intervalMs = STORE_MEASURE_INTERVAL_MS,
  ) {}

  /** The latest measurement, or null before the first walk finished. */
  get size(): StoreSize | null {
    return this.latest;
  }

  /** Starts the first walk (without waiting for it) and the periodic ones. */
  start(): Promise<void> {
    if (this.stopped || this.timer) return Promise.resolve();
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.intervalMs);
    this.timer.unref();
    return Promise.resolve();
  }

  /** Stops measuring and waits for a walk in progress. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.walking;
  }

  /** Starts a walk now, unless one is in progress. */
  refresh(): void {
    if (this.walking || this.stopped) return;
    this.walking = measureStore(this.runsDir)
      .then((size) => {
        this.latest = size;
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'measuring the run store failed'))
      .finally(() => {
        this.walking = null;
      });
  }
}
