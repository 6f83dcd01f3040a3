import type { RunKind } from '../../model/index.js';
import { readTraceRun, writeTraceRun } from '../../store/index.js';

/** Where a trace's run lives. */
export interface TraceRun {
  kind: RunKind;
  runId: string;
  /** Written as completed/failed: its id never changes again and it never goes back to running. */
  final: boolean;
  /** Whether the directory has a trace.json to merge late spans with (unknown after a restart). */
  hasTrace: boolean | null;
  /** A move to here the map announced and that may not have happened yet (see TraceRunEntry). */
  movedFrom: { kind: RunKind; runId: string } | null;
}

/**
 * The trace id → run map, kept on disk (so spans replayed or arriving late after a restart
 * find their run) with a bounded in-memory cache in front of it.
 */
export class TraceRunCache {
  private readonly cache = new Map<string, TraceRun>();

  constructor(
    private readonly runsDir: string,
    private readonly capacity: number,
  ) {}

  async get(traceId: string): Promise<TraceRun | null> {
    const cached = this.cache.get(traceId);
    if (cached) return cached;
    const entry = await readTraceRun(this.runsDir, traceId);
    return entry ? { ...entry, hasTrace: null } : null;
  }

  /** Records `next`; the on-disk entry is rewritten only when kind, id or finality changed. */
  async set(traceId: string, previous: TraceRun | null, next: TraceRun): Promise<void> {
    const changed =
      !previous || previous.kind !== next.kind || previous.runId !== next.runId || previous.final !== next.final;
    if (changed) await writeTraceRun(this.runsDir, traceId, next);
    this.cache.delete(traceId);
    this.cache.set(traceId, next);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
