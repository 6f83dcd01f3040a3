import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkoutRun,
  dropLocalCopy,
  publishRun,
  traceRunEntry,
  type RunRef,
  type SharedStore,
  type SharedTransaction,
  UPLOADS_FOLDER,
} from '../../store/index.js';
import type { MaterializeOutcome } from './materializer.js';
import type { TraceRun, TraceRunCache } from './trace-runs.js';

/**
 * The run-store exporter's writes on the shared backend. The local runs dir is staging: a
 * write runs under the trace's lock across replicas, on a local copy that is the shared
 * store's current one (checked out when this replica has none or an older one), and is
 * published before the lock ends; a write resolves only then, so the write-ahead log keeps
 * the trace until its run is in object storage and PostgreSQL. Final runs' local copies are
 * dropped once published.
 */
export class SharedWrites {
  constructor(
    private readonly runsDir: string,
    private readonly store: SharedStore,
    private readonly locations: TraceRunCache,
  ) {}

  /**
   * Runs `work` (a worker's write of the trace, given where its run lives) and publishes
   * what it changed: the run it reports (`indexed`), or with `publishLocation` the run it
   * was given (late log records appended to it). `written` gets the outcome as soon as the
   * worker is done, published or not: the worker counted its metrics already.
   */
  write(
    traceId: string,
    work: (location: TraceRun | null) => Promise<MaterializeOutcome>,
    written: (outcome: MaterializeOutcome) => void,
    publishLocation = false,
  ): Promise<MaterializeOutcome> {
    return this.store.withTraceLock(traceId, async (tx) => {
      const location = await this.locate(traceId, tx);
      const outcome = await work(location);
      written(outcome);
      const target = outcome.indexed ?? (publishLocation ? location : null);
      try {
        if (target) await publishRun(this.runsDir, this.store, target, tx);
      } catch (err) {
        // The next attempt starts again from what the shared store holds.
        await this.discard(traceId, outcome.location ?? location);
        throw err;
      }
      const settled = outcome.location ?? location;
      if (outcome.location) this.locations.set(traceId, outcome.location);
      if (settled?.final) tx.afterCommit(() => dropLocalCopy(this.runsDir, this.store, settled));
      return outcome;
    });
  }

  /**
   * Where the trace's run lives, as PostgreSQL says (under the lock, so no other replica
   * changes it meanwhile), with a current local copy of it. A local copy of another run the
   * trace had here (moved, or removed by maintenance elsewhere) is dropped.
   */
  private async locate(traceId: string, tx: SharedTransaction): Promise<TraceRun | null> {
    const found = await this.store.index.locateTrace(traceId, tx.client);
    const cached = this.locations.peek(traceId);
    if (cached && !(found && sameRun(found, cached))) await this.discard(traceId, cached);
    if (!found) return null;
    if (cached && sameRun(found, cached) && this.store.localSeq(found.runId) === found.seq) return cached;
    const ref = { kind: found.kind, runId: found.runId };
    // A row with no objects (a run made ahead of its spans): no stale local files either.
    if (!(await checkoutRun(this.runsDir, this.store, { ...ref, seq: found.seq }))) await dropLocalCopy(this.runsDir, this.store, ref);
    return { ...traceRunEntry(found), hasTrace: null };
  }

  /**
   * The traces with uploads staged here whose run now exists in the shared store: written
   * by another replica (the Collector routes a trace's spans to one replica; an upload may
   * reach any), so nothing here would take the upload in before it expires.
   */
  async stagedWithRuns(): Promise<string[]> {
    const names = await readdir(join(this.runsDir, UPLOADS_FOLDER)).catch(() => [] as string[]);
    const found: string[] = [];
    for (const traceId of names.filter((name) => TRACE_ID.test(name))) {
      if (await this.store.index.locateTrace(traceId)) found.push(traceId);
    }
    return found;
  }

  private async discard(traceId: string, location: RunRef | null): Promise<void> {
    this.locations.forget(traceId);
    if (location) await dropLocalCopy(this.runsDir, this.store, location);
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/;

function sameRun(a: RunRef, b: RunRef): boolean {
  return a.runId === b.runId && a.kind === b.kind;
}
