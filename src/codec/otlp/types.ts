/** Public result types of the OTLP codec, and the errors it shares between formats. */
import { InvalidInputError } from '../../lib/index.js';
import type { LogRecord, Span } from '../../model/index.js';

/** The two OTLP encodings: binary protobuf (`application/x-protobuf`) and OTLP/JSON. */
export type WireFormat = 'protobuf' | 'json';

/** The telemetry signals the daemon accepts. */
export type Signal = 'traces' | 'logs';

/** The spans of one Export request; `rejectedSpans` > 0 calls for a `partial_success`. */
export interface DecodedTraces {
  spans: Span[];
  rejectedSpans: number;
  /** '' when nothing was rejected, else one sentence naming the first problem. */
  rejectionMessage: string;
}

/** The log records of one Export request; `rejectedLogRecords` > 0 calls for a `partial_success`. */
export interface DecodedLogs {
  logs: LogRecord[];
  rejectedLogRecords: number;
  /** '' when nothing was rejected, else one sentence naming the first problem. */
  rejectionMessage: string;
}

/** The error for a payload of the other signal: `found` is what the body turned out to be. */
export function wrongSignalError(found: Signal, evidence: string): InvalidInputError {
  return new InvalidInputError(`this is an OTLP ${found} payload (${evidence}); send it to /v1/${found}`);
}
