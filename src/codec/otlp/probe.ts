/**
 * Tells an ExportTraceServiceRequest from an ExportLogsServiceRequest by their wire
 * structure. Both share the same outer shape (field 1 → resource block, its field 2 → scope
 * block, its field 2 → items); only the items differ: a Span's field 1 is `trace_id`
 * (length-delimited bytes) while a LogRecord's field 1 is `time_unix_nano` (fixed64), and
 * so on. The probe reads tags only, never decodes values, and stops at the first tag that
 * fits one item type and not the other.
 */

/** What the probe concluded. `unknown`: empty, ambiguous or malformed (decode will tell). */
export type ProbedSignal = 'traces' | 'logs' | 'unknown';

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const NONE = -1;

/** Wire type of each Span field, indexed by field number (trace/v1/trace.proto). */
const SPAN_WIRE = [NONE, WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_VARINT, WIRE_I64, WIRE_I64,
  WIRE_LEN, WIRE_VARINT, WIRE_LEN, WIRE_VARINT, WIRE_LEN, WIRE_VARINT, WIRE_LEN, WIRE_I32];

/** Wire type of each LogRecord field, indexed by field number (logs/v1/logs.proto). */
const LOG_WIRE = [NONE, WIRE_I64, WIRE_VARINT, WIRE_LEN, NONE, WIRE_LEN, WIRE_LEN, WIRE_VARINT, WIRE_I32,
  WIRE_LEN, WIRE_LEN, WIRE_I64, WIRE_LEN];

/** A cursor over one message's bytes; `pos` is -1 once the data proved malformed. */
interface Cursor {
  buf: Uint8Array;
  pos: number;
}

/** A varint at the cursor; a malformed one (or a cursor already at -1) leaves it at -1. */
function readVarint(c: Cursor, end: number): number {
  let result = 0;
  let scale = 1;
  while (c.pos >= 0 && c.pos < end) {
    const b = c.buf[c.pos++] as number;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
    if (scale > 2 ** 63) break;
  }
  c.pos = -1;
  return 0;
}

/** Moves past a field's value; returns false on malformed data (including groups). */
function skipValue(c: Cursor, wireType: number, end: number): boolean {
  if (wireType === WIRE_VARINT) readVarint(c, end);
  else if (wireType === WIRE_I64) c.pos += 8;
  else if (wireType === WIRE_I32) c.pos += 4;
  else if (wireType === WIRE_LEN) {
    const length = readVarint(c, end);
    if (c.pos >= 0) c.pos += length;
  } else return false;
  return c.pos >= 0 && c.pos <= end;
}

function classifyItem(c: Cursor, end: number): ProbedSignal {
  while (c.pos >= 0 && c.pos < end) {
    const tag = readVarint(c, end);
    if (c.pos < 0) break;
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    const fitsSpan = SPAN_WIRE[field] === wireType;
    const fitsLog = LOG_WIRE[field] === wireType;
    if (fitsSpan !== fitsLog) return fitsSpan ? 'traces' : 'logs';
    if (!skipValue(c, wireType, end)) break;
  }
  return 'unknown';
}

/**
 * Walks the length-delimited field 1 (depth 0) or field 2 (depths 1, 2) of the message in
 * `[c.pos, end)` and classifies the items found at depth 3.
 */
function walk(c: Cursor, end: number, depth: number): ProbedSignal {
  const wanted = depth === 0 ? 1 : 2;
  while (c.pos >= 0 && c.pos < end) {
    const tag = readVarint(c, end);
    if (c.pos < 0) return 'unknown';
    const wireType = tag & 7;
    if (Math.floor(tag / 8) !== wanted || wireType !== WIRE_LEN) {
      if (!skipValue(c, wireType, end)) return 'unknown';
      continue;
    }
    const length = readVarint(c, end);
    const childEnd = c.pos + length;
    if (c.pos < 0 || childEnd > end) return 'unknown';
    const verdict = depth === 2 ? classifyItem(c, childEnd) : walk(c, childEnd, depth + 1);
    if (verdict !== 'unknown') return verdict;
    c.pos = childEnd;
  }
  return 'unknown';
}

/** Which Export request `body` holds, judged from the wire types of its first decisive item. */
export function probeSignal(body: Uint8Array): ProbedSignal {
  return walk({ buf: body, pos: 0 }, body.length, 0);
}
