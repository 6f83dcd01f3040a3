import { decodeLogsAsync, decodeTracesAsync, type AttributeLimits, type PartialSuccess, type Signal, type WireFormat } from '../../codec/otlp/index.js';
import { addTruncations, type LogRecord, type Span, type TruncationCounts } from '../../model/index.js';
import type { EncodedRequest, LogsConsumer, MemoryGate, Reservation, SpanQuota, SpansConsumer } from '../../contracts/index.js';
import { collectSoon, Limiter } from '../../lib/index.js';
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
  /** `ingest.limits`, applied while decoding. */
  limits: Readonly<AttributeLimits>;
  /** The memory bound a request is decoded against (`ingest.max_bytes_in_memory`); unbounded without. */
  memory?: MemoryGate;
  /** Room left per trace (`ingest.limits.spans_per_trace_limit`); unlimited without. */
  quota?: SpanQuota;
}

/**
 * Decoded size from which a request's garbage is collected once it is handed on (or refused). Its items
 * live while it is decoded in slices, so V8 promotes them to the old generation, where they
 * stay (resident) after the request until a full collection much later: four requests of
 * 50,000 spans (28 MB decoded each) left the event loop's heap at 192 MB, 3× its idle size,
 * and the process peaked 60 MB higher (with the run-store worker writing the trace beside)
 * than when each request's garbage was collected. Exporters' batches (512 spans by default)
 * stay far below it.
 */
export const LARGE_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * What a request's parse leaves per byte of body, at least, cut by the limits or not: a body
 * of 8,000,000 empty attributes (16 MB, 4,096 kept) decodes to little, but three such
 * requests left the process at ~320 MiB, and at 190–220 once each one's garbage was collected.
 */
const GARBAGE_PER_BODY_BYTE = 4;

/** Body size from which requests are decoded one at a time (below). */
export const LARGE_BODY_BYTES = 1024 * 1024;

/**
 * Large bodies are decoded one at a time: the event loop is one thread, so interleaving
 * their slices finishes none sooner, but keeps every one's decoded items alive together.
 * Four concurrent requests of 50,000 spans (3 MB each) peaked the process at 490–505 MiB
 * interleaved. Exporters' batches (~0.3 MB) never wait for it.
 */
const largeDecodes = new Limiter(1);

/** One decoded request: item counts, and how to hand the kept items on and count them. */
interface DecodedRequest {
  noun: string;
  /** Its items' decoded size. */
  decodedBytes: number;
  accepted: number;
  rejected: number;
  dropped: number;
  rejectionMessage: string;
  truncated: TruncationCounts;
  /** Hands the items on; the consumer takes them before this returns (never throws: rejects). */
  consume(): Promise<void>;
  count(outcome: IngestOutcome, count: number): void;
}

/** A decoded request's memory, reserved while it was decoded, until a stage takes it over. */
class Held implements Reservation {
  constructor(public bytes: number) {}

  take(): number {
    const bytes = this.bytes;
    this.bytes = 0;
    return bytes;
  }
}

async function spanBatch(body: Uint8Array, format: WireFormat, protocol: IngestProtocol, target: IngestTarget, held: Held): Promise<DecodedRequest> {
  const decoded = await decodeTracesAsync(body, format, { limits: target.limits, budget: target.memory });
  held.bytes = decoded.reservedBytes;
  const quota = target.quota?.admit(decoded.spans) ?? { admitted: decoded.spans, refused: 0, message: '' };
  const truncated = addTruncations({}, decoded.truncated);
  if (quota.refused > 0) truncated.spans_per_trace = (truncated.spans_per_trace ?? 0) + quota.refused;
  // Only the consumer keeps the decoded spans: none are referenced here while the request
  // waits for its ack (the write-ahead log's sync), so they die young instead of filling
  // the old generation.
  let spans: Span[] | null = quota.admitted;
  const source: EncodedRequest = { format, body, decodedBytes: decoded.decodedBytes, reservation: held };
  return {
    noun: 'spans',
    decodedBytes: decoded.decodedBytes,
    accepted: quota.admitted.length,
    rejected: decoded.rejectedSpans + quota.refused,
    dropped: 0,
    rejectionMessage: [decoded.rejectionMessage, quota.message].filter((m) => m !== '').join('; '),
    truncated,
    consume: async () => {
      const items = spans ?? [];
      spans = null;
      return target.spans.consumeSpans(items, source);
    },
    count: (outcome, count) => target.metrics.spansReceived(protocol, outcome, count),
  };
}

async function logBatch(body: Uint8Array, format: WireFormat, protocol: IngestProtocol, target: IngestTarget, held: Held): Promise<DecodedRequest> {
  const decoded = await decodeLogsAsync(body, format, { limits: target.limits, budget: target.memory });
  held.bytes = decoded.reservedBytes;
  const kept: LogRecord[] = target.untracedLogs === 'drop' ? decoded.logs.filter((log) => log.traceId !== '') : decoded.logs;
  // The request bytes stand for the batch only when no record was filtered out.
  const whole = kept.length === decoded.logs.length;
  const source: EncodedRequest = { format, body: whole ? body : undefined, decodedBytes: decoded.decodedBytes, reservation: held };
  return {
    noun: 'log records',
    decodedBytes: decoded.decodedBytes,
    accepted: kept.length,
    rejected: decoded.rejectedLogRecords,
    dropped: decoded.logs.length - kept.length,
    rejectionMessage: decoded.rejectionMessage,
    truncated: decoded.truncated,
    consume: async () => target.logs.consumeLogs(kept, source),
    count: (outcome, count) => target.metrics.logRecordsReceived(protocol, outcome, count),
  };
}

/**
 * The one ingest path of every OTLP transport: decodes an Export request body of `signal`
 * (already decompressed and within the size limit) in slices, against the memory bound and
 * with `ingest.limits` applied, hands the usable items to the pipeline and counts them by
 * `protocol` and outcome, and what the limits cut. Resolves with the partial success to
 * answer (items with unusable ids, spans past their trace's limit), or null for full success.
 *
 * @throws InvalidInputError when the body cannot be decoded; PayloadTooLargeError when it
 * decodes past the memory bound alone; the consumer's error (e.g. RetryableError when
 * shedding load) after counting the whole request as rejected.
 */
export async function ingest(
  signal: Signal,
  body: Uint8Array,
  format: WireFormat,
  protocol: IngestProtocol,
  target: IngestTarget,
): Promise<PartialSuccess | null> {
  const held = new Held(0);
  const large = body.byteLength >= LARGE_BODY_BYTES;
  try {
    // Handed on before the next large body's decode starts: the consumer takes the items
    // (packs them) synchronously, and the request then holds none while it waits.
    const handOn = async (): Promise<{ batch: DecodedRequest; consumed: Promise<void> }> => {
      const batch = signal === 'traces'
        ? await spanBatch(body, format, protocol, target, held)
        : await logBatch(body, format, protocol, target, held);
      const consumed = batch.consume();
      // Awaited below; marked handled so that it is never reported unhandled meanwhile.
      consumed.catch(() => undefined);
      return { batch, consumed };
    };
    const { batch, consumed } = large ? await largeDecodes.run(handOn) : await handOn();
    try {
      await consumed;
    } catch (err) {
      batch.count('rejected', batch.accepted + batch.rejected + batch.dropped);
      throw err;
    } finally {
      if (Math.max(batch.decodedBytes, body.byteLength * GARBAGE_PER_BODY_BYTE) >= LARGE_REQUEST_BYTES) collectSoon();
    }
    batch.count('accepted', batch.accepted);
    batch.count('rejected', batch.rejected);
    batch.count('dropped', batch.dropped);
    target.metrics.truncated(batch.truncated);
    if (batch.rejected === 0) return null;
    const reason = target.redact ? target.redact(batch.rejectionMessage) : batch.rejectionMessage;
    target.logger.warn({ signal, rejected: batch.rejected, reason }, `${batch.noun} rejected`);
    return { rejected: batch.rejected, message: reason };
  } finally {
    // What no stage took over (the request failed, or was empty) goes back.
    target.memory?.release(held.take());
  }
}
