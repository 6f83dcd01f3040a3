/** Encoders for what the OTLP receivers send back: Export responses and google.rpc.Status. */
import { types } from './schema.js';
import type { Signal, WireFormat } from './types.js';

/** A partial success: how many items were rejected and why (one sentence). */
export interface PartialSuccess {
  rejected: number;
  message: string;
}

const REJECTED_FIELD = { traces: 'rejectedSpans', logs: 'rejectedLogRecords' } as const;

/**
 * The body of a successful Export response: `partial` null means full success (an empty
 * message, `{}` in JSON). In JSON the int64 count is a string, as proto3 JSON requires:
 * `{"partialSuccess":{"rejectedSpans":"2","errorMessage":"..."}}`. Protobuf gives an
 * Export{Trace,Logs}ServiceResponse, usable as the gRPC reply body too.
 */
export function encodeExportResponse(signal: Signal, partial: PartialSuccess | null, format: WireFormat): Uint8Array {
  const rejectedField = REJECTED_FIELD[signal];
  if (format === 'json') {
    if (partial === null) return Buffer.from('{}');
    const body = { partialSuccess: { [rejectedField]: String(partial.rejected), errorMessage: partial.message } };
    return Buffer.from(JSON.stringify(body));
  }
  const type = signal === 'traces' ? types.traceResponse : types.logsResponse;
  const message = partial === null
    ? {}
    : { partialSuccess: { [rejectedField]: partial.rejected, errorMessage: partial.message } };
  return type.encode(type.fromObject(message)).finish();
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A google.rpc.Status body (`code` is a gRPC status code, e.g. 3 INVALID_ARGUMENT for
 * undecodable data): `{"code":3,"message":"..."}` in JSON. With `retryAfterSeconds` it
 * carries a google.rpc.RetryInfo detail, which OTLP senders read as "retry after this delay".
 * The protobuf form is also the value of gRPC's `grpc-status-details-bin` trailer.
 */
export function encodeStatus(code: number, message: string, format: WireFormat, retryAfterSeconds: number | null = null): Uint8Array {
  if (format === 'json') {
    const details = retryAfterSeconds === null ? [] : [{ '@type': RETRY_INFO_TYPE, retryDelay: `${retryAfterSeconds}s` }];
    return Buffer.from(JSON.stringify(details.length === 0 ? { code, message } : { code, message, details }));
  }
  const details = retryAfterSeconds === null ? [] : [{
    typeUrl: RETRY_INFO_TYPE,
    value: types.retryInfo.encode(types.retryInfo.fromObject({ retryDelay: { seconds: retryAfterSeconds } })).finish(),
  }];
  return types.rpcStatus.encode(types.rpcStatus.fromObject({ code, message, details })).finish();
}
