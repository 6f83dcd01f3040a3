/**
 * The OTLP codec: pure conversions between OTLP wire bodies (protobuf and OTLP/JSON) and the
 * model's spans and log records, plus the response bodies the receivers send. No I/O.
 */
export { decodeTraces, decodeLogs } from './decode.js';
export { encodeExportResponse, encodeStatus } from './response.js';
export type { PartialSuccess } from './response.js';
export { encodeTracesJson, encodeLogsJson } from './to-json.js';
export { otlpRoot } from './schema.js';
export type { DecodedTraces, DecodedLogs, WireFormat, Signal } from './types.js';
