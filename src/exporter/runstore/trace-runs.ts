import type { TraceRunEntry } from '../../store/index.js';

/** Where a trace's run lives, as the exporter knows it. */
export interface TraceRun extends TraceRunEntry {
  /** Whether the directory has a trace.json to merge late spans with (unknown when looked up). */
  hasTrace: boolean | null;
}

/** Finds the stored run of a trace this process has not written (the run index). */
export type TraceRunLookup = (traceId: string) => TraceRunEntry | null;

/**
 * The trace id → run map as the exporter uses it: the runs it wrote, remembered in a bounded
 * cache (the newest `capacity`), in front of the store's durable map (the run index over each
 * run's metadata.yaml), for spans that come late or are replayed after a restart.
 */
export class TraceRunCache {
  private readonly cache = new Map<string, TraceRun>();

  constructor(
    private readonly lookup: TraceRunLookup,
    private readonly capacity: number,
  ) {}

  get(traceId: string): TraceRun | null {
    const cached = this.cache.get(traceId);
    if (cached) return cached;
    const entry = this.lookup(traceId);
    return entry ? { ...entry, hasTrace: null } : null;
  }

  /** The trace's run as this process wrote it, without asking the index. */
  peek(traceId: string): TraceRun | null {
    return this.cache.get(traceId) ?? null;
  }

  /** Forgets the trace's run (its local copy is gone). */
  forget(traceId: string): void {
    this.cache.delete(traceId);
  }

  /** Remembers where the trace's run now lives. */
  set(traceId: string, run: TraceRun): void {
    this.cache.delete(traceId);
    this.cache.set(traceId, run);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
