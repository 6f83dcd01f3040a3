import { decodeLogs, decodeTraces, type PartialSuccess, type Signal, type WireFormat } from '../../codec/otlp/index.js';
import type { Span } from '../../model/index.js';
import type { LogsConsumer, SpansConsumer } from '../../contracts/index.js';
import type { IngestOutcome, IngestProtocol, Logger, Metrics } from '../../telemetry/index.js';

/** What becomes of log records with no trace id (config `ingest.untraced_logs`). */
export type UntracedLogsPolicy = 'drop' | 'file';

/**
 * Admits or refuses an OTLP request by its credential (the `Authorization` header, the
 * `authorization` gRPC metadata) before its body is read: returns nothing to admit it, or a
 * promise rejecting with UnauthenticatedError / PermissionDeniedError once the refusal is
 * counted and recorded.
 */
export interface IngestGate {
  admit(authorization: string | undefined): Promise<void> | undefined;
}

/** Where the OTLP receivers hand decoded telemetry, and how they account for it. */
export interface IngestTarget {
  /** Checks each request's credential; without it every request is admitted. */
  gate?: IngestGate;
  spans: SpansConsumer;
  logs: LogsConsumer;
  metrics: Metrics;
  logger: Logger;
  /** `drop`: records with no trace id are counted as dropped and not passed on; `file`: passed on. */
  untracedLogs: UntracedLogsPolicy;
  /**
   * Scrubs text taken from a request that reaches a log line or an answer without passing the
   * redaction stage (the name of a rejected span); by default the text as it is.
   */
  redact?: (text: string) => string;
}

/** One decoded request: item counts, and how to hand the kept items on and count them. */
interface DecodedRequest {
  noun: string;
  accepted: number;
  rejected: number;
  dropped: number;
  rejectionMessage: string;
  consume(): Promise<void>;
  count(outcome: IngestOutcome, count: number): void;
}

function spanBatch(body: Uint8Array, format: WireFormat, protocol: IngestProtocol, target: IngestTarget): DecodedRequest {
  const decoded = decodeTraces(body, format);
  // Only the consumer keeps the decoded spans: none are referenced here while the request
  // waits for its ack (the write-ahead log's sync), so they die young instead of filling
  // the old generation.
  let spans: Span[] | null = decoded.spans;
  return {
    noun: 'spans',
    accepted: decoded.spans.length,
    rejected: decoded.rejectedSpans,
    dropped: 0,
    rejectionMessage: decoded.rejectionMessage,
    consume: () => {
      const items = spans ?? [];
      spans = null;
      return target.spans.consumeSpans(items, { format, body });
    },
    count: (outcome, count) => target.metrics.spansReceived(protocol, outcome, count),
  };
}

function logBatch(body: Uint8Array, format: WireFormat, protocol: IngestProtocol, target: IngestTarget): DecodedRequest {
  const decoded = decodeLogs(body, format);
  const kept = target.untracedLogs === 'drop' ? decoded.logs.filter((log) => log.traceId !== '') : decoded.logs;
  return {
    noun: 'log records',
    accepted: kept.length,
    rejected: decoded.rejectedLogRecords,
    dropped: decoded.logs.length - kept.length,
    rejectionMessage: decoded.rejectionMessage,
        // The request bytes stand for the batch only when no record was filtered out.
    consume: () => target.logs.consumeLogs(kept, kept.length === decoded.logs.length ? { format, body } : undefined),
    count: (outcome, count) => target.metrics.logRecordsReceived(protocol, outcome, count),
  };
}

/**
 * The one ingest path of every OTLP transport: decodes an Export request body of `signal`
 * (already decompressed and within the size limit), hands the usable items to the pipeline
 * and counts them by `protocol` and outcome. Resolves with the partial success to answer
 * (items with unusable ids), or null for full success.
 *
 * @throws InvalidInputError when the body cannot be decoded; the consumer's error (e.g.
 * RetryableError when shedding load) after counting the whole request as rejected.
 */
export async function ingest(
  signal: Signal,
  body: Uint8Array,
  format: WireFormat,
  protocol: IngestProtocol,
  target: IngestTarget,
): Promise<PartialSuccess | null> {
  const batch = signal === 'traces' ? spanBatch(body, format, protocol, target) : logBatch(body, format, protocol, target);
  try {
    await batch.consume();
  } catch (err) {
    batch.count('rejected', batch.accepted + batch.rejected + batch.dropped);
    throw err;
  }
  batch.count('accepted', batch.accepted);
  batch.count('rejected', batch.rejected);
  batch.count('dropped', batch.dropped);
  if (batch.rejected === 0) return null;
  const reason = target.redact ? target.redact(batch.rejectionMessage) : batch.rejectionMessage;
  target.logger.warn({ signal, rejected: batch.rejected, reason }, `${batch.noun} rejected`);
  return { rejected: batch.rejected, message: reason };
}
