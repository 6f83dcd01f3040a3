import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTraces, encodeTracesJson } from '../codec/otlp/index.js';
import { describeError, RetryableError } from '../lib/index.js';
import type { Span } from '../model/index.js';
import type { Component, EncodedRequest, SettledTraces, SpansConsumer } from '../pipeline/index.js';
import type { Logger } from '../telemetry/index.js';
import { RecordType, type WalRecord } from './record.js';
import type { RecoveredSegment, WriteAheadLog } from './wal.js';

/** Options of {@link DurableIngest}. */
export interface DurableIngestOptions {
  /** How often sealed segments are checked for deletion. */
  checkpointIntervalMs?: number;
}

/** What a restart found in the log. */
export interface RecoveryStats {
  segments: number;
  records: number;
  spans: number;
}

/**
 * The stage that makes a 2xx a promise: a batch is handed to the assembler, then its request
 * bytes are appended to the write-ahead log, and only once they are synced does the receiver
 * answer. On start it replays what the log holds; periodically it deletes segments whose
 * traces are all stored.
 */
export class DurableIngest implements SpansConsumer, Component {
  private timer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> = Promise.resolve();

  constructor(
    private readonly wal: WriteAheadLog,
    private readonly recovered: readonly RecoveredSegment[],
    private readonly next: SpansConsumer,
    private readonly settled: SettledTraces,
    private readonly logger: Logger,
    private readonly options: DurableIngestOptions = {},
  ) {}

  async consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void> {
    await this.next.consumeSpans(spans, source);
    if (spans.length === 0) return;
    // Without the request bytes (a receiver that has none), the spans are encoded once here.
    const format = source?.format ?? 'json';
    const payload = source?.body ?? Buffer.from(encodeTracesJson(spans));
    await this.wal.append(format === 'protobuf' ? RecordType.TRACES_PROTOBUF : RecordType.TRACES_JSON, payload, traceIdsOf(spans));
  }

  /** Replays the log found on start, then checkpoints periodically. */
  async start(): Promise<void> {
    const stats = await this.replay();
    if (stats.records > 0) this.logger.info(stats, 'write-ahead log replayed');
    this.timer = setInterval(() => void this.checkpoint(), this.options.checkpointIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops checkpointing and syncs what is pending; later appends are refused. */
  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.wal.close();
  }

  /** Deletes the segments whose traces are all stored; never two at once. */
  checkpoint(): Promise<void> {
    this.checkpointing = this.checkpointing.then(async () => {
      try {
        await this.wal.checkpoint((id) => this.settled.isSettled(id));
      } catch (err) {
        this.logger.warn({ err }, 'write-ahead log checkpoint failed; will retry');
      }
    });
    return this.checkpointing;
  }

  private async replay(): Promise<RecoveryStats> {
    const stats: RecoveryStats = { segments: this.recovered.length, records: 0, spans: 0 };
    for (const segment of this.recovered) {
      for (const record of segment.records) {
        const source = tracesSource(record);
        const spans = source && this.decode(source, record.offset);
        if (!spans) continue;
        this.wal.noteTraces(segment.seq, traceIdsOf(spans));
        await this.deliver(spans, source);
        stats.records++;
        stats.spans += spans.length;
      }
    }
    return stats;
  }

  private decode(source: EncodedRequest, offset: number): Span[] | null {
    try {
      return decodeTraces(source.body, source.format).spans;
    } catch (err) {
      this.logger.error({ offset, reason: describeError(err) }, 'write-ahead log: a record cannot be decoded; skipped');
      return null;
    }
  }

  // The log may hold more than the memory bound: wait for the pipeline to drain and retry.
  private async deliver(spans: Span[], source: EncodedRequest): Promise<void> {
    for (;;) {
      try {
        return await this.next.consumeSpans(spans, source);
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        await sleep(50);
      }
    }
  }
}

/** The request a traces record holds; null for other records. */
function tracesSource(record: WalRecord): EncodedRequest | null {
  if (record.type === RecordType.TRACES_PROTOBUF) return { format: 'protobuf', body: record.payload };
  if (record.type === RecordType.TRACES_JSON) return { format: 'json', body: record.payload };
  return null;
}

function traceIdsOf(spans: readonly Span[]): string[] {
  return [...new Set(spans.map((s) => s.traceId))];
}
