import type { RunCatalog } from './catalog/catalog.js';
import { InvalidInputError } from '../lib/index.js';
import type { RunRef } from './writer.js';

/**
 * The trace → run map. It has no file of its own: a run's `metadata.yaml` names its
 * `trace_id`, the run index (`.index/runs.sqlite`, rebuilt from those files whenever it is
 * missing or behind) finds the run of a trace, and the write-ahead log keeps a trace's
 * spans until its run is written, so a crash in between is replayed into the same run.
 * The run-store exporter keeps the runs it wrote in memory in front of this.
 */
export interface TraceRunEntry extends RunRef {
  /** Written as completed/failed: its id never changes again and it never goes back to running. */
  final: boolean;
  /**
   * Its id is settled even though it is not final: a run made ahead of its spans (a
   * replay's `pending` run), whose id was already handed out.
   */
  keepsId: boolean;
  /**
   * The run this trace replays (INTERFACE.md §7), as its stored run says: a replay stays
   * linked to its original even when the replayed agent does not say so itself.
   */
  replayOf: string | null;
}

/** The run the store holds for trace `traceId`, or null when it has none (that the index knows). */
export function locateTraceRun(catalog: RunCatalog, traceId: string): TraceRunEntry | null {
  const found = catalog.locateTrace(traceId);
  return found ? traceRunEntry(found) : null;
}

/** A trace's run as an index row describes it (this one's, or the shared backend's). */
export function traceRunEntry(found: RunRef & { status: string | null; replayOf: string | null }): TraceRunEntry {
  const final = found.status === 'completed' || found.status === 'failed';
  return { kind: found.kind, runId: found.runId, final, keepsId: final || found.status === 'pending', replayOf: found.replayOf };
}

/**
 * Registers a run made outside the pipeline (e.g. a replay's `pending` run, made before its
 * spans arrive) as the run of the trace its metadata.yaml names: indexes it now, so spans of
 * that trace land in it instead of starting a run of their own. A `pending` run keeps its id
 * when they do. Call after the run directory is written; throws {@link InvalidInputError}
 * when it has no readable metadata.yaml with that trace id.
 */
export async function registerTraceRun(catalog: RunCatalog, traceId: string, run: RunRef): Promise<void> {
  const indexed = await catalog.upsert(run);
  const found = indexed ? catalog.locateTrace(traceId) : null;
  if (found?.runId !== run.runId) {
    throw new InvalidInputError(`run ${run.runId} is not stored as the run of trace ${traceId}`);
  }
}
