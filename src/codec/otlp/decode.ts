/** The codec's decoding entry points: one per signal, dispatching on the wire format. */
import { InvalidInputError } from '../../lib/index.js';
import { logsFromJson, tracesFromJson } from './from-json.js';
import { logsFromProtobuf, tracesFromProtobuf } from './from-protobuf.js';
import type { DecodedLogs, DecodedTraces, WireFormat } from './types.js';

/**
 * Runs a decoder, turning a stack overflow (attribute values nested absurdly deep, which
 * JSON.parse accepts but the recursive conversion cannot follow) into bad input, not a crash.
 */
function guarded<T>(decode: (body: Uint8Array) => T, body: Uint8Array): T {
  try {
    return decode(body);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new InvalidInputError('the request nests attribute values too deeply to decode', { cause: err });
    }
    throw err;
  }
}

/**
 * Decodes the body of an OTLP ExportTraceServiceRequest (binary protobuf or OTLP/JSON, already
 * decompressed) into spans in the model's form, in request order, each sharing an `origin`
 * object with the other spans of its scope block (treat them as read-only).
 *
 * A span whose trace_id is not 16 non-zero bytes, whose span_id is not 8 non-zero bytes,
 * whose parent_span_id is neither empty nor 8 bytes, or with a link whose ids have the wrong
 * size (or, in JSON, any id that is not hex) is left out and counted in `rejectedSpans`; the
 * caller answers with a `partial_success`. An all-zero parent_span_id means "root".
 *
 * @throws InvalidInputError when the body cannot be decoded at all, or is a logs payload.
 */
export function decodeTraces(body: Uint8Array, format: WireFormat): DecodedTraces {
  return guarded(format === 'json' ? tracesFromJson : tracesFromProtobuf, body);
}

/**
 * Decodes the body of an OTLP ExportLogsServiceRequest like {@link decodeTraces}. A record
 * whose trace_id is neither empty nor 16 bytes, or whose span_id is neither empty nor 8
 * bytes, is counted in `rejectedLogRecords`; all-zero ids become ''.
 *
 * @throws InvalidInputError when the body cannot be decoded at all, or is a traces payload.
 */
export function decodeLogs(body: Uint8Array, format: WireFormat): DecodedLogs {
  return guarded(format === 'json' ? logsFromJson : logsFromProtobuf, body);
}
