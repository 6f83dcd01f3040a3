/**
 * The codec's decoding entry points: one per signal, each in a synchronous form (for the
 * daemon's own bytes: WAL records, stored traces) and a sliced one (for requests), which
 * gives the event loop back every few milliseconds however large or deep the body is.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { LogRecord, Span } from '../../model/index.js';
import { ItemCollector } from './items.js';
import { JsonDecoder } from './json-decoder.js';
import { DecodeMeter, DEFAULT_LIMITS, STORED_LIMITS, type DecodeOptions } from './limits.js';
import { probeSignal } from './probe.js';
import { ProtoDecoder } from './proto-decoder.js';
import { toBuffer } from './scalars.js';
import { wrongSignalError } from './types.js';
import type { DecodedLogs, DecodedTraces, Signal, WireFormat } from './types.js';

/** How long one slice of decoding may hold the event loop. */
const SLICE_MS = 10;

/** One request's decoding, run in steps until done. */
interface Machine {
  /** Works until done (true) or `deadline` (performance.now()) passed (false). */
  step(deadline: number): boolean;
}

interface Decoding<T extends Span | LogRecord> {
  machine: Machine;
  collector: ItemCollector<T>;
  meter: DecodeMeter;
}

function start<T extends Span | LogRecord>(signal: Signal, body: Uint8Array, format: WireFormat, options: DecodeOptions): Decoding<T> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const meter = new DecodeMeter(options.budget);
  const collector = new ItemCollector<T>(signal === 'traces' ? 'span' : 'log record');
  const buf = toBuffer(body);
  if (format === 'json') return { machine: new JsonDecoder(buf, signal, limits, meter, collector, options.atOnce ? Infinity : undefined), collector, meter };
  const other: Signal = signal === 'traces' ? 'logs' : 'traces';
  if (probeSignal(body) === other) {
    throw wrongSignalError(other, other === 'logs' ? 'ExportLogsServiceRequest' : 'ExportTraceServiceRequest');
  }
  return { machine: new ProtoDecoder(buf, signal, limits, meter, collector), collector, meter };
}

function runSync<T extends Span | LogRecord>(decoding: Decoding<T>): Decoding<T> {
  try {
    decoding.machine.step(Infinity);
  } catch (err) {
    decoding.meter.releaseAll();
    throw err;
  }
  decoding.meter.trim();
  return decoding;
}

async function runSliced<T extends Span | LogRecord>(decoding: Decoding<T>): Promise<Decoding<T>> {
  try {
    while (!decoding.machine.step(performance.now() + SLICE_MS)) await yieldToLoop();
  } catch (err) {
    decoding.meter.releaseAll();
    throw err;
  }
  decoding.meter.trim();
  return decoding;
}

function traces({ collector, meter }: Decoding<Span>): DecodedTraces {
  const { items, rejections } = collector;
  return {
    spans: items,
    rejectedSpans: rejections.count,
    rejectionMessage: rejections.message(),
    truncated: meter.totals,
    decodedBytes: meter.bytes,
    reservedBytes: meter.reserved,
  };
}

function logs({ collector, meter }: Decoding<LogRecord>): DecodedLogs {
  const { items, rejections } = collector;
  return {
    logs: items,
    rejectedLogRecords: rejections.count,
    rejectionMessage: rejections.message(),
    truncated: meter.totals,
    decodedBytes: meter.bytes,
    reservedBytes: meter.reserved,
  };
}

/**
 * Decodes the body of an OTLP ExportTraceServiceRequest (binary protobuf or OTLP/JSON, already
 * decompressed) into spans in the model's form, in request order, each sharing an `origin`
 * object with the other spans of its scope block (treat them as read-only), with the
 * `ingest.limits` of `options` applied (a span that lost something says so in `truncated`).
 *
 * A span whose trace_id is not 16 non-zero bytes, whose span_id is not 8 non-zero bytes,
 * whose parent_span_id is neither empty nor 8 bytes, or with a link whose ids have the wrong
 * size (or, in JSON, any id that is not hex) is left out and counted in `rejectedSpans`; the
 * caller answers with a `partial_success`. An all-zero parent_span_id means "root".
 *
 * This form runs to the end at once: use it for the daemon's own bytes, and
 * {@link decodeTracesAsync} for requests. Without `options.limits` it cuts nothing
 * ({@link STORED_LIMITS}): a trace stored under raised limits reads back whole; the
 * asynchronous forms apply the defaults of `ingest.limits`.
 *
 * @throws InvalidInputError when the body cannot be decoded at all, or is a logs payload;
 * PayloadTooLargeError / RetryableError past the budget of `options` (nothing stays reserved).
 */
export function decodeTraces(body: Uint8Array, format: WireFormat, options: DecodeOptions = {}): DecodedTraces {
  return traces(runSync(start<Span>('traces', body, format, { limits: STORED_LIMITS, ...options })));
}

/** {@link decodeTraces} in slices of a few milliseconds, yielding to the event loop between them. */
export async function decodeTracesAsync(body: Uint8Array, format: WireFormat, options: DecodeOptions = {}): Promise<DecodedTraces> {
  return traces(await runSliced(start<Span>('traces', body, format, options)));
}

/**
 * Decodes the body of an OTLP ExportLogsServiceRequest like {@link decodeTraces} (cutting
 * nothing without `options.limits`). A record
 * whose trace_id is neither empty nor 16 bytes, or whose span_id is neither empty nor 8
 * bytes, is counted in `rejectedLogRecords`; all-zero ids become ''.
 *
 * @throws InvalidInputError when the body cannot be decoded at all, or is a traces payload;
 * PayloadTooLargeError / RetryableError past the budget of `options`.
 */
export function decodeLogs(body: Uint8Array, format: WireFormat, options: DecodeOptions = {}): DecodedLogs {
  return logs(runSync(start<LogRecord>('logs', body, format, { limits: STORED_LIMITS, ...options })));
}

/** {@link decodeLogs} in slices of a few milliseconds, yielding to the event loop between them. */
export async function decodeLogsAsync(body: Uint8Array, format: WireFormat, options: DecodeOptions = {}): Promise<DecodedLogs> {
  return logs(await runSliced(start<LogRecord>('logs', body, format, options)));
}
