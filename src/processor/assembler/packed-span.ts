/**
 * A compact, lossless form of a held span. A decoded `Span` is a tree of small objects and
 * strings (about 1.4 KB of heap for a 10-attribute LLM call); the assembler may hold hundreds
 * of thousands of them while agents run, so it keeps each one packed into a single one-byte
 * string (about 200 bytes) and unpacks it when the trace is handed on. The trace and span ids
 * (the keys it is held under) and the origin (shared by a whole scope block, kept once per trace) are
 * not packed.
 *
 * The format is private to this module and only lives in memory: every field of the model is
 * written in a fixed order; strings are length-prefixed latin1 or, when they hold any code
 * unit above 0xFF, UTF-16 (so lone surrogates survive); numbers are varints when they are
 * small non-negative integers, else float64 (NaN, -0 and fractions survive).
 */
import type { AnyValue, KeyValue, Origin, Span } from '../../model/index.js';

const Value = {
  Empty: 0,
  String: 1,
  False: 2,
  True: 3,
  Int: 4,
  Double: 5,
  Bytes: 6,
  Array: 7,
  Kvlist: 8,
} as const;

const Num = {
  Varint: 0,
  Float: 1,
} as const;

/** The scratch buffer spans are packed into; grown as needed, never shrunk. */
let scratch = Buffer.allocUnsafe(4096);
let pos = 0;

function ensure(extra: number): void {
  if (pos + extra <= scratch.length) return;
  const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, pos + extra));
  scratch.copy(grown, 0, 0, pos);
  scratch = grown;
}

function writeVarint(n: number): void {
  ensure(5);
  while (n > 0x7f) {
    scratch[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  scratch[pos++] = n;
}

function writeNumber(n: number): void {
  if (n >>> 0 === n && !Object.is(n, -0)) {
    ensure(6);
    scratch[pos++] = Num.Varint;
    writeVarint(n);
  } else {
    ensure(9);
    scratch[pos++] = Num.Float;
    scratch.writeDoubleLE(n, pos);
    pos += 8;
  }
}

function isOneByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

function writeString(s: string): void {
  if (isOneByte(s)) {
    writeVarint(s.length * 2);
    ensure(s.length);
    pos += scratch.write(s, pos, 'latin1');
  } else {
    writeVarint(s.length * 2 + 1);
    ensure(s.length * 2);
    pos += scratch.write(s, pos, 'utf16le');
  }
}

function writeValue(v: AnyValue): void {
  ensure(1);
  if ('stringValue' in v) {
    scratch[pos++] = Value.String;
    writeString(v.stringValue);
  } else if ('boolValue' in v) {
    scratch[pos++] = v.boolValue ? Value.True : Value.False;
  } else if ('intValue' in v) {
    scratch[pos++] = Value.Int;
    writeString(v.intValue);
  } else if ('doubleValue' in v) {
    scratch[pos++] = Value.Double;
    writeNumber(v.doubleValue);
  } else if ('bytesValue' in v) {
    scratch[pos++] = Value.Bytes;
    writeString(v.bytesValue);
  } else if ('arrayValue' in v) {
    scratch[pos++] = Value.Array;
    const values = v.arrayValue.values;
    writeVarint(values.length);
    for (const value of values) writeValue(value);
  } else if ('kvlistValue' in v) {
    scratch[pos++] = Value.Kvlist;
    writeAttributes(v.kvlistValue.values);
  } else {
    scratch[pos++] = Value.Empty;
  }
}

function writeAttributes(kvs: readonly KeyValue[]): void {
  writeVarint(kvs.length);
  for (const kv of kvs) {
    writeString(kv.key);
    writeValue(kv.value);
  }
}

/**
 * Packs everything of `span` but its trace id, span id (the keys it is held under) and origin;
 * `originIndex` says which origin of the trace's list it has.
 */
export function packSpan(span: Span, originIndex: number): string {
  pos = 0;
  writeVarint(originIndex);
  writeString(span.parentSpanId);
  writeString(span.traceState);
  writeNumber(span.flags);
  writeString(span.name);
  writeNumber(span.kind);
  writeString(span.startTimeUnixNano);
  writeString(span.endTimeUnixNano);
  writeAttributes(span.attributes);
  writeNumber(span.droppedAttributesCount);
  writeVarint(span.events.length);
  for (const e of span.events) {
    writeString(e.timeUnixNano);
    writeString(e.name);
    writeAttributes(e.attributes);
    writeNumber(e.droppedAttributesCount);
  }
  writeNumber(span.droppedEventsCount);
  writeVarint(span.links.length);
  for (const l of span.links) {
    writeString(l.traceId);
    writeString(l.spanId);
    writeString(l.traceState);
    writeAttributes(l.attributes);
    writeNumber(l.droppedAttributesCount);
    writeNumber(l.flags);
  }
  writeNumber(span.droppedLinksCount);
  writeNumber(span.status.code);
  writeString(span.status.message);
  return scratch.toString('latin1', 0, pos);
}

/** Reads one packed span back. */
class Unpacker {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.at++] as number;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  }

  number(): number {
    if (this.buf[this.at++] === Num.Varint) return this.varint();
    const n = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return n;
  }

  string(): string {
    const header = this.varint();
    const start = this.at;
    if (header % 2 === 0) {
      this.at += header / 2;
      return this.buf.toString('latin1', start, this.at);
    }
    this.at += header - 1;
    return this.buf.toString('utf16le', start, this.at);
  }

  value(): AnyValue {
    switch (this.buf[this.at++]) {
      case Value.String: return { stringValue: this.string() };
      case Value.False: return { boolValue: false };
      case Value.True: return { boolValue: true };
      case Value.Int: return { intValue: this.string() };
      case Value.Double: return { doubleValue: this.number() };
      case Value.Bytes: return { bytesValue: this.string() };
      case Value.Array: {
        const values = new Array<AnyValue>(this.varint());
        for (let i = 0; i < values.length; i++) values[i] = this.value();
        return { arrayValue: { values } };
      }
      case Value.Kvlist: return { kvlistValue: { values: this.attributes() } };
      default: return {};
    }
  }

  attributes(): KeyValue[] {
    const kvs = new Array<KeyValue>(this.varint());
    for (let i = 0; i < kvs.length; i++) {
      const key = this.string();
      kvs[i] = { key, value: this.value() };
    }
    return kvs;
  }

  span(traceId: string, spanId: string, origins: readonly Origin[]): Span {
    const origin = origins[this.varint()] as Origin;
    const parentSpanId = this.string();
    const traceState = this.string();
    const flags = this.number();
    const name = this.string();
    const kind = this.number();
    const startTimeUnixNano = this.string();
    const endTimeUnixNano = this.string();
    const attributes = this.attributes();
    const droppedAttributesCount = this.number();
    const events = new Array<Span['events'][number]>(this.varint());
    for (let i = 0; i < events.length; i++) {
      const timeUnixNano = this.string();
      const eventName = this.string();
      const eventAttributes = this.attributes();
      events[i] = { timeUnixNano, name: eventName, attributes: eventAttributes, droppedAttributesCount: this.number() };
    }
    const droppedEventsCount = this.number();
    const links = new Array<Span['links'][number]>(this.varint());
    for (let i = 0; i < links.length; i++) {
      const linkTraceId = this.string();
      const linkSpanId = this.string();
      const linkTraceState = this.string();
      const linkAttributes = this.attributes();
      const linkDropped = this.number();
      links[i] = {
        traceId: linkTraceId,
        spanId: linkSpanId,
        traceState: linkTraceState,
        attributes: linkAttributes,
        droppedAttributesCount: linkDropped,
        flags: this.number(),
      };
    }
    const droppedLinksCount = this.number();
    const code = this.number();
    const message = this.string();
    return {
      traceId,
      spanId,
      parentSpanId,
      traceState,
      flags,
      name,
      kind,
      startTimeUnixNano,
      endTimeUnixNano,
      attributes,
      droppedAttributesCount,
      events,
      droppedEventsCount,
      links,
      droppedLinksCount,
      status: { code, message },
      origin,
    };
  }
}

/** The span `spanId` of trace `traceId` packed as `packed` (by {@link packSpan}); the trace's origins are `origins`. */
export function unpackSpan(packed: string, traceId: string, spanId: string, origins: readonly Origin[]): Span {
  return new Unpacker(Buffer.from(packed, 'latin1')).span(traceId, spanId, origins);
}
