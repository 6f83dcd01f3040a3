import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTime } from 'ulid';
import { decodeTraces, encodeTracesJson } from '../../codec/otlp/index.js';
import { Limiter } from '../../lib/index.js';
import type { AssembledTrace, RunKind, RunRecord, Span } from '../../model/index.js';
import type { Component, TraceConsumer } from '../../pipeline/index.js';
import { mapTrace } from '../../processor/semconv/index.js';
import { moveRun, newRunId, readRunFile, writeRun } from '../../store/index.js';
import type { Logger, Metrics } from '../../telemetry/index.js';
import { mergeSpans } from './merge.js';
import { backoffMs, isRetryableWriteError } from './retry.js';

/** Options of the run-store exporter. */
export interface RunStoreExporterOptions {
  runsDir: string;
  /** What to do with traces that carry no GenAI or paracle span (`ingest.unrecognized`). */
  unrecognized: 'agent' | 'drop';
  /** Run directories written at the same time. */
  concurrency?: number;
  /** How many trace id → run locations to remember for late spans. */
  locationCapacity?: number;
  /** issue-7: called after each run directory write (the run index follows the writes). */
  onRunWritten?: (written: RunWritten) => Promise<void>;
}

/** issue-7: a run directory just written for `traceId`; `replaced` is where it lived before a move. */
export interface RunWritten {
  kind: RunKind;
  runId: string;
  traceId: string;
  replaced: { kind: RunKind; runId: string } | null;
}

/** Where a trace's run lives, and whether its id is settled for good. */
interface RunLocation {
  kind: RunKind;
  runId: string;
  final: boolean;
}

// After shutdown began, a failing write is tried this many more times before giving up.
const ATTEMPTS_WHEN_STOPPING = 3;

/**
 * Turns assembled traces into run directories. Writes of one trace happen in the order they
 * were handed in; a run first written while running keeps its directory unless its kind or
 * start time (and so its ULID) turn out different once the root arrives. Late spans are
 * merged with the stored trace and the run is rewritten. Disk errors are retried.
 */
export class RunStoreExporter implements TraceConsumer, Component {
  private readonly locations = new Map<string, RunLocation>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly limiter: Limiter;
  private stopping = false;

  constructor(
    private readonly options: RunStoreExporterOptions,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.limiter = new Limiter(options.concurrency ?? 16);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Finishes every write already handed in (failing ones get a few more attempts). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  consumeTrace(trace: AssembledTrace): Promise<void> {
    const previous = this.chains.get(trace.traceId) ?? Promise.resolve();
    const current = previous.then(() => this.limiter.run(() => this.materializeWithRetry(trace)));
    this.chains.set(trace.traceId, current);
    const forget = (): void => {
      if (this.chains.get(trace.traceId) === current) this.chains.delete(trace.traceId);
    };
    current.then(forget, forget);
    return current;
  }

  private async materializeWithRetry(trace: AssembledTrace): Promise<void> {
    for (let attempt = 0, lastChance = ATTEMPTS_WHEN_STOPPING; ; attempt++) {
      try {
        return await this.materialize(trace);
      } catch (err) {
        if (this.stopping) lastChance--;
        if (!isRetryableWriteError(err) || lastChance <= 0) throw err;
        const delay = backoffMs(attempt);
        this.logger.warn({ err, trace_id: trace.traceId, retry_in_ms: delay }, 'writing a run failed; will retry');
        await sleep(delay);
      }
    }
  }

  private async materialize(trace: AssembledTrace): Promise<void> {
    const started = performance.now();
    const location = this.locations.get(trace.traceId);
    const spans = trace.late && location ? mergeSpans(await this.storedSpans(location), trace.spans) : trace.spans;
    const record = mapTrace({ ...trace, spans }, { unrecognized: this.options.unrecognized });
    if (!record) return;
    const runId = chooseRunId(location, record);
    const moved = location && (location.kind !== record.kind || location.runId !== runId);
    if (moved) {
      await moveRun(this.options.runsDir, location, { kind: record.kind, runId });
    }
    const metadataOnly = trace.phase === 'started';
    const traceJson = metadataOnly ? '' : encodeTracesJson(spans);
    await writeRun(this.options.runsDir, { runId, record, traceJson }, { metadataOnly });
    // issue-7: index hook.
    const replaced = moved ? { kind: location.kind, runId: location.runId } : null;
    await this.options.onRunWritten?.({ kind: record.kind, runId, traceId: trace.traceId, replaced });
    this.remember(trace.traceId, {
      kind: record.kind,
      runId,
      final: trace.phase === 'complete' || trace.phase === 'orphaned',
    });
    this.metrics.materialized(record.kind, (performance.now() - started) / 1000);
  }

  private async storedSpans(location: RunLocation): Promise<Span[]> {
    const text = await readRunFile(this.options.runsDir, location.kind, location.runId, 'trace.json');
    if (!text) return [];
    return decodeTraces(Buffer.from(text), 'json').spans;
  }

  private remember(traceId: string, location: RunLocation): void {
    this.locations.delete(traceId);
    this.locations.set(traceId, location);
    if (this.locations.size > (this.options.locationCapacity ?? 200_000)) {
      const oldest = this.locations.keys().next().value;
      if (oldest !== undefined) this.locations.delete(oldest);
    }
  }
}

/**
 * A run keeps its id once final. Before that the id follows the run's start time, which can
 * move earlier when the root (exported last) arrives after its children.
 */
function chooseRunId(location: RunLocation | undefined, record: RunRecord): string {
  if (location?.final) return location.runId;
  if (location && decodeTime(location.runId) === Math.floor(record.startedAtMs)) return location.runId;
  return newRunId(record.startedAtMs);
}
