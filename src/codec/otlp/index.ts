/**
 * The OTLP codec: pure conversions between OTLP wire bodies (protobuf and OTLP/JSON) and the
 * model's spans and log records, plus the response bodies the receivers send. No I/O.
 */
export { decodeTraces, decodeLogs, decodeTracesAsync, decodeLogsAsync } from './decode.js';
export { DEFAULT_LIMITS, STORED_LIMITS, TRUNCATION_MARKER } from './limits.js';
export type { AttributeLimits, DecodeBudget, DecodeOptions } from './limits.js';
export { encodeExportResponse, encodeStatus } from './response.js';
export type { PartialSuccess } from './response.js';
export { encodeTracesJson, encodeLogsJson, writeTracesJson } from './to-json.js';
export { otlpRoot } from './schema.js';
export { keyOfPacked, packBatch, packedNames, packSpan, plainSpan, spanKey, unpackBatch, unpackSpan, viewBatch, viewSpans, wholeSpan } from './packed-span.js';
export type { PackedBatch } from './packed-span.js';
export type { DecodedTraces, DecodedLogs, DecodeAccount, WireFormat, Signal } from './types.js';
