/** Public result types of the OTLP codec, and the errors it shares between formats. */
import { InvalidInputError } from '../../lib/index.js';
import type { LogRecord, Span, TruncationCounts } from '../../model/index.js';

/** The two OTLP encodings: binary protobuf (`application/x-protobuf`) and OTLP/JSON. */
export type WireFormat = 'protobuf' | 'json';

/** The telemetry signals the daemon accepts. */
export type Signal = 'traces' | 'logs';

/** What decoding one request measured, beside its items. */
export interface DecodeAccount {
  /** What the limits cut, per limit, over the whole request (each item also carries its own). */
  truncated: TruncationCounts;
  /** Estimated heap bytes of the decoded items. */
  decodedBytes: number;
  /** Bytes taken from the budget for them: the caller hands them on or gives them back. */
  reservedBytes: number;
}

/** The spans of one Export request; `rejectedSpans` > 0 calls for a `partial_success`. */
export interface DecodedTraces extends DecodeAccount {
  spans: Span[];
  rejectedSpans: number;
  /** '' when nothing was rejected, else one sentence naming the first problem. */
  rejectionMessage: string;
}

/** The log records of one Export request; `rejectedLogRecords` > 0 calls for a `partial_success`. */
export interface DecodedLogs extends DecodeAccount {
  logs: LogRecord[];
  rejectedLogRecords: number;
  /** '' when nothing was rejected, else one sentence naming the first problem. */
  rejectionMessage: string;
}

/** The error for a payload of the other signal: `found` is what the body turned out to be. */
export function wrongSignalError(found: Signal, evidence: string): InvalidInputError {
  return new InvalidInputError(`this is an OTLP ${found} payload (${evidence}); send it to /v1/${found}`);
}
