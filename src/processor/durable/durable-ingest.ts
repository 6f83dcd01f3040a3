import { setTimeout as sleep } from 'node:timers/promises';
import { decodeLogsAsync, decodeTracesAsync, encodeLogsJson, encodeTracesJson } from '../../codec/otlp/index.js';
import type { AttributeLimits } from '../../codec/otlp/index.js';
import { describeError, RetryableError } from '../../lib/index.js';
import type { LogRecord, Span } from '../../model/index.js';
import type { BatchTransform, Component, EncodedRequest, LogsConsumer, SettledTraces, SpansConsumer, StoredSync } from '../../contracts/index.js';
import type { Logger } from '../../telemetry/index.js';
import { RecordType, type RecordTypeValue, type RecoveredSegment, type WalRecord, type WriteAheadLog } from '../../wal/index.js';

/** Options of {@link DurableIngest}. */
export interface DurableIngestOptions {
  /** How often sealed segments are checked for deletion. */
  checkpointIntervalMs?: number;
  /**
   * Runs over every batch read back on start before it is handed on: the redaction stage, so
   * that segments an older version wrote unscrubbed are scrubbed too.
   */
  replayTransform?: BatchTransform;
  /** `ingest.limits`, applied again when records are replayed, as when they were received. */
  limits?: Readonly<AttributeLimits>;
}

/** What a restart found in the log. */
export interface RecoveryStats {
  segments: number;
  records: number;
  spans: number;
  logRecords: number;
  /** Records that could not be replayed, moved to `.wal/quarantine/`. */
  quarantined: number;
}

/** The record types of one signal. */
interface RecordTypes {
  protobuf: RecordTypeValue;
  json: RecordTypeValue;
}

const TRACE_RECORDS: RecordTypes = { protobuf: RecordType.TRACES_PROTOBUF, json: RecordType.TRACES_JSON };
const LOG_RECORDS: RecordTypes = { protobuf: RecordType.LOGS_PROTOBUF, json: RecordType.LOGS_JSON };

/** What one WAL record decodes to. */
type ReplayedBatch = ({ signal: 'traces'; items: Span[] } | { signal: 'logs'; items: LogRecord[] }) & { decodedBytes: number };

/**
 * The stage that makes a 2xx a promise: a batch is handed to the assembler, then its request
 * bytes are appended to the write-ahead log, and only once they are synced does the receiver
 * answer. On start it replays what the log holds (a record that cannot be replayed is moved
 * to `.wal/quarantine/` with a log line, never dropped); periodically it deletes segments
 * whose traces are all stored.
 */
export class DurableIngest implements SpansConsumer, LogsConsumer, Component {
  private timer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> = Promise.resolve();

  constructor(
    private readonly wal: WriteAheadLog,
    private readonly recovered: readonly RecoveredSegment[],
    private readonly next: SpansConsumer & LogsConsumer,
    private readonly settled: SettledTraces,
    private readonly store: StoredSync,
    private readonly logger: Logger,
    private readonly options: DurableIngestOptions = {},
  ) {}

  // The append's promise is returned, not awaited: an awaiting frame would keep the decoded
  // items alive until the log's sync; `persist` keeps only what the log needs.
  async consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void> {
    await this.next.consumeSpans(spans, source);
    return this.persist(spans, source, TRACE_RECORDS, encodeTracesJson);
  }

  async consumeLogs(logs: LogRecord[], source?: EncodedRequest): Promise<void> {
    await this.next.consumeLogs(logs, source);
    return this.persist(logs, source, LOG_RECORDS, encodeLogsJson);
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

  /** Deletes the segments whose traces are all stored (made durable first); never two at once. */
  checkpoint(): Promise<void> {
    this.checkpointing = this.checkpointing.then(async () => {
      try {
        await this.wal.checkpoint((id) => this.settled.isSettled(id), () => this.store.syncStored());
      } catch (err) {
        this.logger.warn({ err }, 'write-ahead log checkpoint failed; will retry');
      }
    });
    return this.checkpointing;
  }

  private persist<T extends { traceId: string }>(
    items: T[],
    source: EncodedRequest | undefined,
    types: RecordTypes,
    encode: (items: T[]) => string,
  ): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    // Without the request bytes (a receiver that has none), the items are encoded once here.
    const type = source?.format === 'protobuf' ? types.protobuf : types.json;
    return this.wal.append(type, source?.body ?? Buffer.from(encode(items)), traceIdsOf(items));
  }

  private async replay(): Promise<RecoveryStats> {
    const stats: RecoveryStats = { segments: this.recovered.length, records: 0, spans: 0, logRecords: 0, quarantined: 0 };
    for (const segment of this.recovered) {
      for (const record of segment.records) {
        const source = sourceOf(record);
        try {
          const batch = await this.decode(record.type, source);
          this.wal.noteTraces(segment.seq, traceIdsOf(batch.items));
          await this.deliver(batch, this.transform(batch, { ...source, decodedBytes: batch.decodedBytes }));
          stats.records++;
          if (batch.signal === 'traces') stats.spans += batch.items.length;
          else stats.logRecords += batch.items.length;
        } catch (err) {
          await this.quarantine(segment.seq, record, err);
          stats.quarantined++;
        }
      }
    }
    return stats;
  }

  private async decode(type: RecordTypeValue, source: EncodedRequest): Promise<ReplayedBatch> {
    const body = source.body as Uint8Array;
    const options = { limits: this.options.limits };
    if (type === TRACE_RECORDS.protobuf || type === TRACE_RECORDS.json) {
      const decoded = await decodeTracesAsync(body, source.format, options);
      return { signal: 'traces', items: decoded.spans, decodedBytes: decoded.decodedBytes };
    }
    const decoded = await decodeLogsAsync(body, source.format, options);
    return { signal: 'logs', items: decoded.logs, decodedBytes: decoded.decodedBytes };
  }

  /** Keeps a record that cannot be replayed in `.wal/quarantine/`, so its segment can go. */
  private async quarantine(seq: number, record: WalRecord, err: unknown): Promise<void> {
    const file = await this.wal.quarantine(seq, record);
    this.logger.error(
      { segment: seq, offset: record.offset, file, reason: describeError(err) },
      'write-ahead log: a record cannot be replayed; moved to quarantine',
    );
  }

  private transform(batch: ReplayedBatch, source: EncodedRequest): EncodedRequest {
    const transform = this.options.replayTransform;
    if (transform === undefined) return source;
    const kept = batch.signal === 'traces' ? transform.transformSpans(batch.items, source) : transform.transformLogs(batch.items, source);
    return kept ?? source;
  }

  // The log may hold more than the memory bound: wait for the pipeline to drain and retry.
  private async deliver(batch: ReplayedBatch, source: EncodedRequest): Promise<void> {
    for (;;) {
      try {
        if (batch.signal === 'traces') return await this.next.consumeSpans(batch.items, source);
        return await this.next.consumeLogs(batch.items, source);
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        await sleep(50);
      }
    }
  }
}

/** The request a record holds. */
function sourceOf(record: WalRecord): EncodedRequest {
  const protobuf = record.type === TRACE_RECORDS.protobuf || record.type === LOG_RECORDS.protobuf;
  return { format: protobuf ? 'protobuf' : 'json', body: record.payload };
}

/** Distinct trace ids (records without one belong to no trace). */
function traceIdsOf(items: readonly { traceId: string }[]): string[] {
  return [...new Set(items.map((i) => i.traceId).filter((id) => id !== ''))];
}
