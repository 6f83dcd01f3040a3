/**
 * A compact, lossless form of a held span. A decoded `Span` is a tree of small objects and
 * strings (about 1.4 KB of heap for a 10-attribute LLM call); the assembler may hold hundreds
 * of thousands of them while agents run, so it keeps each one packed into a single one-byte
 * string (about 130 bytes) and unpacks it when the trace is handed on.
 *
 * The format is private to this module and only lives in memory: every field of the model is
 * written in a fixed order; strings are length-prefixed latin1 or, when they hold any code
 * unit above 0xFF, UTF-16 (so lone surrogates survive); numbers are varints when they are
 * small non-negative integers, else float64 (NaN, -0 and fractions survive). Canonical
 * decimal times take 8 bytes, lower-case hex ids half their length, and attribute keys and
 * span names a number from a bounded table of names; any other value of those fields is
 * written as a string, so nothing is normalised on the way.
 */
import type { AnyValue, HeldSpans, KeyValue, Origin, Span } from '../../model/index.js';

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

/**
 * Strings that recur across spans (attribute keys, span and event names), numbered the first
 * time they are packed and then written as their number. Bounded, so that names of high
 * cardinality cannot grow it without end: once full, new names are written in full.
 */
const MAX_NAMES = 16_384;
const MAX_NAME_LENGTH = 128;
const nameNumbers = new Map<string, number>();
const names: string[] = [];

function writeName(s: string): void {
  let n = nameNumbers.get(s);
  if (n === undefined && names.length < MAX_NAMES && s.length <= MAX_NAME_LENGTH) {
    n = names.push(s);
    nameNumbers.set(s, n);
  }
  if (n !== undefined) return writeVarint(n);
  writeVarint(0);
  writeString(s);
}

/** The largest unsigned 64-bit integer, as a decimal; times are usually 19 digits of it. */
const UINT64_MAX = '18446744073709551615';
const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;

/** A decimal 64-bit time in 8 bytes when it is canonical (anything else as a string). */
function writeTime(s: string): void {
  ensure(9);
  if (DECIMAL.test(s) && (s.length < UINT64_MAX.length || s <= UINT64_MAX)) {
    scratch[pos++] = 1;
    scratch.writeBigUInt64LE(BigInt(s), pos);
    pos += 8;
  } else {
    scratch[pos++] = 0;
    writeString(s);
  }
}

const LOWER_HEX = /^(?:[0-9a-f]{2})*$/;

/** A lower-case hex id in half its length (anything else as a string). */
function writeHex(s: string): void {
  if (LOWER_HEX.test(s)) {
    writeVarint(s.length);
    ensure(s.length / 2);
    pos += scratch.write(s, pos, 'hex');
  } else {
    writeVarint(1);
    writeString(s);
  }
}

/** A list of values (an array) or of attributes (a key-value list) still being written. */
interface WriteFrame {
  values: readonly AnyValue[] | null;
  kvs: readonly KeyValue[] | null;
  i: number;
}

/** Writes one value's tag and, for a scalar, its content; a container's elements are queued on `stack`. */
function writeOne(v: AnyValue, stack: WriteFrame[]): void {
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
    writeVarint(v.arrayValue.values.length);
    stack.push({ values: v.arrayValue.values, kvs: null, i: 0 });
  } else if ('kvlistValue' in v) {
    scratch[pos++] = Value.Kvlist;
    writeVarint(v.kvlistValue.values.length);
    stack.push({ values: null, kvs: v.kvlistValue.values, i: 0 });
  } else {
    scratch[pos++] = Value.Empty;
  }
}

/** Writes attributes and their values depth first, without recursion. */
function writeAttributes(kvs: readonly KeyValue[]): void {
  writeVarint(kvs.length);
  const stack: WriteFrame[] = [{ values: null, kvs, i: 0 }];
  for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
    if (top.kvs !== null && top.i < top.kvs.length) {
      const kv = top.kvs[top.i++] as KeyValue;
      writeName(kv.key);
      writeOne(kv.value, stack);
    } else if (top.values !== null && top.i < top.values.length) {
      writeOne(top.values[top.i++] as AnyValue, stack);
    } else stack.pop();
  }
}

/**
 * The packed form of a span id: how every packed span of that id begins. Comparing it with
 * the start of packed spans finds a span id without unpacking anything.
 */
export function spanKey(spanId: string): string {
  pos = 0;
  writeHex(spanId);
  return scratch.toString('latin1', 0, pos);
}

/** The {@link spanKey} a packed span begins with. */
export function keyOfPacked(packed: string): string {
  const reader = new Unpacker(Buffer.from(packed, 'latin1'));
  reader.hex();
  return packed.slice(0, reader.at);
}

/**
 * Packs everything of `span` but its trace id (the key of its trace) and origin (shared by
 * a scope block, kept once per trace): `originIndex` says which origin of the trace's list it
 * has. The result begins with the {@link spanKey} of its span id.
 */
export function packSpan(span: Span, originIndex: number): string {
  pos = 0;
  writeHex(span.spanId);
  writeVarint(originIndex);
  writeHex(span.parentSpanId);
  writeString(span.traceState);
  writeNumber(span.flags);
  writeName(span.name);
  writeNumber(span.kind);
  writeTime(span.startTimeUnixNano);
  writeTime(span.endTimeUnixNano);
  writeAttributes(span.attributes);
  writeNumber(span.droppedAttributesCount);
  writeVarint(span.events.length);
  for (const e of span.events) {
    writeTime(e.timeUnixNano);
    writeName(e.name);
    writeAttributes(e.attributes);
    writeNumber(e.droppedAttributesCount);
  }
  writeNumber(span.droppedEventsCount);
  writeVarint(span.links.length);
  for (const l of span.links) {
    writeHex(l.traceId);
    writeHex(l.spanId);
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

/** A list being read back: array values or key-value pairs. */
interface ReadFrame {
  values: AnyValue[] | null;
  kvs: KeyValue[] | null;
  i: number;
}

/** Reads packed spans back from `buf`, starting at `at`; names by number from `table`. */
class Unpacker {
  constructor(
    private readonly buf: Buffer,
    public at = 0,
    private readonly table: readonly string[] = names,
  ) {}

  varint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.buf[this.at++] as number;
      // Shifts while the number fits 31 bits: a multiplication gives a double even for 0,
      // and a span's counts, kind and flags held as doubles cost a boxed number each.
      n = shift < 28 ? n | ((b & 0x7f) << shift) : n + (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
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

  name(): string {
    const n = this.varint();
    return n === 0 ? this.string() : (this.table[n - 1] as string);
  }

  time(): string {
    if (this.buf[this.at++] === 0) return this.string();
    const n = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return n.toString();
  }

  hex(): string {
    const length = this.varint();
    if (length === 1) return this.string();
    const start = this.at;
    this.at += length / 2;
    return this.buf.toString('hex', start, this.at);
  }

  /** One value's tag and, for a scalar, its content; a container comes back empty, its elements queued on `stack`. */
  private one(stack: ReadFrame[]): AnyValue {
    switch (this.buf[this.at++]) {
      case Value.String: return { stringValue: this.string() };
      case Value.False: return { boolValue: false };
      case Value.True: return { boolValue: true };
      case Value.Int: return { intValue: this.string() };
      case Value.Double: return { doubleValue: this.number() };
      case Value.Bytes: return { bytesValue: this.string() };
      case Value.Array: {
        const values = new Array<AnyValue>(this.varint());
        stack.push({ values, kvs: null, i: 0 });
        return { arrayValue: { values } };
      }
      case Value.Kvlist: {
        const kvs = new Array<KeyValue>(this.varint());
        stack.push({ values: null, kvs, i: 0 });
        return { kvlistValue: { values: kvs } };
      }
      default: return {};
    }
  }

  /** Attributes written by `writeAttributes`, read back depth first without recursion. */
  attributes(): KeyValue[] {
    const kvs = new Array<KeyValue>(this.varint());
    const stack: ReadFrame[] = [{ values: null, kvs, i: 0 }];
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      if (top.kvs !== null && top.i < top.kvs.length) {
        const key = this.name();
        top.kvs[top.i++] = { key, value: this.one(stack) };
      } else if (top.values !== null && top.i < top.values.length) {
        top.values[top.i++] = this.one(stack);
      } else stack.pop();
    }
    return kvs;
  }

  // Moving past a field as the reader above reads it, building nothing.

  skipString(): void {
    const header = this.varint();
    this.at += header % 2 === 0 ? header / 2 : header - 1;
  }

  skipNumber(): void {
    if (this.buf[this.at++] === Num.Varint) this.varint();
    else this.at += 8;
  }

  skipName(): void {
    if (this.varint() === 0) this.skipString();
  }

  skipTime(): void {
    if (this.buf[this.at++] === 0) this.skipString();
    else this.at += 8;
  }

  skipHex(): void {
    const length = this.varint();
    if (length === 1) this.skipString();
    else this.at += length / 2;
  }

  /** Attributes written by `writeAttributes`, without recursion: elements left per open list. */
  skipAttributes(): void {
    const left = [this.varint()];
    const keyed = [true];
    for (let top = 0; top >= 0; top = left.length - 1) {
      const remaining = left[top] as number;
      if (remaining === 0) {
        left.pop();
        keyed.pop();
        continue;
      }
      left[top] = remaining - 1;
      if (keyed[top]) this.skipName();
      const tag = this.buf[this.at++];
      if (tag === Value.String || tag === Value.Int || tag === Value.Bytes) this.skipString();
      else if (tag === Value.Double) this.skipNumber();
      else if (tag === Value.Array || tag === Value.Kvlist) {
        left.push(this.varint());
        keyed.push(tag === Value.Kvlist);
      }
    }
  }

  events(): Span['events'] {
    const events = new Array<Span['events'][number]>(this.varint());
    for (let i = 0; i < events.length; i++) {
      const timeUnixNano = this.time();
      const name = this.name();
      const attributes = this.attributes();
      events[i] = { timeUnixNano, name, attributes, droppedAttributesCount: this.number() };
    }
    return events;
  }

  skipEvents(): void {
    for (let n = this.varint(); n > 0; n--) {
      this.skipTime();
      this.skipName();
      this.skipAttributes();
      this.skipNumber();
    }
  }

  links(): Span['links'] {
    const links = new Array<Span['links'][number]>(this.varint());
    for (let i = 0; i < links.length; i++) {
      const traceId = this.hex();
      const spanId = this.hex();
      const traceState = this.string();
      const attributes = this.attributes();
      const droppedAttributesCount = this.number();
      links[i] = { traceId, spanId, traceState, attributes, droppedAttributesCount, flags: this.number() };
    }
    return links;
  }

  skipLinks(): void {
    for (let n = this.varint(); n > 0; n--) {
      this.skipHex();
      this.skipHex();
      this.skipString();
      this.skipAttributes();
      this.skipNumber();
      this.skipNumber();
    }
  }

  status(): Span['status'] {
    const code = this.number();
    return { code, message: this.string() };
  }

  span(traceId: string, origins: readonly Origin[]): Span {
    const spanId = this.hex();
    const origin = origins[this.varint()] as Origin;
    const parentSpanId = this.hex();
    const traceState = this.string();
    const flags = this.number();
    const name = this.name();
    const kind = this.number();
    const startTimeUnixNano = this.time();
    const endTimeUnixNano = this.time();
    const attributes = this.attributes();
    const droppedAttributesCount = this.number();
    const events = this.events();
    const droppedEventsCount = this.number();
    const links = this.links();
    const droppedLinksCount = this.number();
    const status = this.status();
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
      status,
      origin,
    };
  }
}

/** The span of trace `traceId` packed as `packed` (by {@link packSpan}); the trace's origins are `origins`. */
export function unpackSpan(packed: string, traceId: string, origins: readonly Origin[]): Span {
  return new Unpacker(Buffer.from(packed, 'latin1')).span(traceId, origins);
}

/**
 * The names packed spans refer to by number, in the order numbered. The table only grows,
 * so another thread that unpacks this thread's spans keeps a copy and is sent what was
 * added since (see {@link unpackBatch}).
 */
export function packedNames(): readonly string[] {
  return names;
}

/**
 * Held spans of one trace as one buffer, to hand to another thread without copying (its
 * `bytes.buffer` can be transferred) and without decoding them first: each packed span
 * prefixed by its length. A span held decoded (see trace-state.ts) goes in `decoded`, by
 * its position, and its place in `bytes` is empty.
 */
export interface PackedBatch {
  bytes: Uint8Array<ArrayBuffer>;
  count: number;
  decoded: [number, Span][];
}

/** The first `held.count` spans of `held` as a {@link PackedBatch}. */
export function packBatch(held: HeldSpans): PackedBatch {
  let size = 0;
  for (let i = 0; i < held.count; i++) {
    const span = held.spans[i];
    size += typeof span === 'string' ? span.length + 5 : 1;
  }
  // Its own ArrayBuffer (not a slice of Node's pool), so that it can be transferred.
  const bytes = Buffer.from(new ArrayBuffer(size));
  const decoded: [number, Span][] = [];
  let at = 0;
  const varint = (n: number): void => {
    for (; n > 0x7f; n >>>= 7) bytes[at++] = (n & 0x7f) | 0x80;
    bytes[at++] = n;
  };
  for (let i = 0; i < held.count; i++) {
    const span = held.spans[i] as string | Span;
    if (typeof span === 'string') {
      varint(span.length);
      at += bytes.write(span, at, 'latin1');
    } else {
      varint(0);
      decoded.push([i, span]);
    }
  }
  return { bytes: bytes.subarray(0, at), count: held.count, decoded };
}

/**
 * The spans of a {@link PackedBatch} of trace `traceId`, decoded; `origins` are the trace's
 * origins and `table` the packing thread's {@link packedNames} (a copy at least as long as
 * it was when the batch was packed).
 */
export function unpackBatch(batch: PackedBatch, traceId: string, origins: readonly Origin[], table: readonly string[]): Span[] {
  const buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const spans = new Array<Span>(batch.count);
  for (const [i, span] of batch.decoded) spans[i] = span;
  const reader = new Unpacker(buf, 0, table);
  for (let i = 0; i < batch.count; i++) {
    const length = reader.varint();
    if (length === 0) continue;
    const end = reader.at + length;
    spans[i] = reader.span(traceId, origins);
    reader.at = end;
  }
  return spans;
}

/** What the spans left packed in one buffer share. */
interface PackedContext {
  buf: Buffer;
  traceId: string;
  origins: readonly Origin[];
  table: readonly string[];
}

/** The span a {@link PackedSpanView} unpacked last, and where it was packed. */
let last: { context: PackedContext; at: number; span: Span } | null = null;

/** The attributes a {@link PackedSpanView} read last, and where their span was packed. */
let lastAttributes: { context: PackedContext; at: number; attributes: KeyValue[] } | null = null;

/** A packed span's fields after its ids and origin, in the order {@link packSpan} writes them. */
const enum Field {
  TraceState,
  Flags,
  Name,
  Kind,
  Start,
  End,
  Attributes,
  DroppedAttributes,
  Events,
  DroppedEvents,
  Links,
  DroppedLinks,
  Status,
}

/**
 * A span left packed in its batch's buffer, for a trace too large to hold decoded while it
 * is mapped and written (a decoded bare span takes ~640 bytes of heap, a view ~200). Its ids
 * and origin are read at once (merging and the span tree look them up); any other field is
 * read from the buffer when asked for, past the fields before it without building them.
 * Mapping a trace reads each span's fields eight times over in its passes: unpacking the
 * whole span for each read, a root with 200,000 children took 3.3–4.2 s to map, and 2.5–2.9 s
 * reading fields alone. The attributes read last are kept, so that reading one span's
 * attributes again builds them once. Read-only: its fields are getters, so spreading it
 * copies nothing (see {@link plainSpan}).
 */
class PackedSpanView implements Span {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly origin: Origin;
  /** Where its fields after the ids begin. */
  private readonly rest: number;

  constructor(
    private readonly context: PackedContext,
    private readonly at: number,
  ) {
    const reader = new Unpacker(context.buf, at, context.table);
    this.spanId = reader.hex();
    this.origin = context.origins[reader.varint()] as Origin;
    this.parentSpanId = reader.hex();
    this.rest = reader.at;
  }

  get traceId(): string { return this.context.traceId; }
  get traceState(): string { return this.field(Field.TraceState).string(); }
  get flags(): number { return this.field(Field.Flags).number(); }
  get name(): string { return this.field(Field.Name).name(); }
  get kind(): number { return this.field(Field.Kind).number(); }
  get startTimeUnixNano(): string { return this.field(Field.Start).time(); }
  get endTimeUnixNano(): string { return this.field(Field.End).time(); }
  get droppedAttributesCount(): number { return this.field(Field.DroppedAttributes).number(); }
  get events(): Span['events'] { return this.field(Field.Events).events(); }
  get droppedEventsCount(): number { return this.field(Field.DroppedEvents).number(); }
  get links(): Span['links'] { return this.field(Field.Links).links(); }
  get droppedLinksCount(): number { return this.field(Field.DroppedLinks).number(); }
  get status(): Span['status'] { return this.field(Field.Status).status(); }

  /** Its attributes (shared with the next reader until another view's are read: copy them to keep them). */
  get attributes(): KeyValue[] {
    const { context, at } = this;
    if (lastAttributes?.context !== context || lastAttributes.at !== at) {
      lastAttributes = { context, at, attributes: this.field(Field.Attributes).attributes() };
    }
    return lastAttributes.attributes;
  }

  /** The span decoded (shared with the next caller until another view unpacks: copy it to keep it). */
  unpack(): Span {
    const { context, at } = this;
    if (last?.context !== context || last.at !== at) {
      last = { context, at, span: new Unpacker(context.buf, at, context.table).span(context.traceId, context.origins) };
    }
    return last.span;
  }

  /** A reader at `field`. */
  private field(field: Field): Unpacker {
    const reader = new Unpacker(this.context.buf, this.rest, this.context.table);
    if (field > Field.TraceState) reader.skipString();
    if (field > Field.Flags) reader.skipNumber();
    if (field > Field.Name) reader.skipName();
    if (field > Field.Kind) reader.skipNumber();
    if (field > Field.Start) reader.skipTime();
    if (field > Field.End) reader.skipTime();
    if (field > Field.Attributes) reader.skipAttributes();
    if (field > Field.DroppedAttributes) reader.skipNumber();
    if (field > Field.Events) reader.skipEvents();
    if (field > Field.DroppedEvents) reader.skipNumber();
    if (field > Field.Links) reader.skipLinks();
    if (field > Field.DroppedLinks) reader.skipNumber();
    return reader;
  }
}

/**
 * The spans of a {@link PackedBatch} like {@link unpackBatch}, but left packed: each is a
 * read-only view that unpacks it when a field other than its ids is read.
 */
export function viewBatch(batch: PackedBatch, traceId: string, origins: readonly Origin[], table: readonly string[]): Span[] {
  const context: PackedContext = { buf: Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength), traceId, origins, table };
  const spans = new Array<Span>(batch.count);
  for (const [i, span] of batch.decoded) spans[i] = span;
  const reader = new Unpacker(context.buf, 0, table);
  for (let i = 0; i < batch.count; i++) {
    const length = reader.varint();
    if (length === 0) continue;
    spans[i] = new PackedSpanView(context, reader.at);
    reader.at += length;
  }
  return spans;
}

/**
 * Spans of one trace with those held decoded packed into one buffer and handed back as
 * views (see {@link viewBatch}), views among them kept as they are; `spans` can then be
 * dropped. Spans of several traces are all kept as they are.
 */
export function viewSpans(spans: readonly Span[]): Span[] {
  const loose = spans.filter((span) => !(span instanceof PackedSpanView));
  const traceId = loose[0]?.traceId;
  if (loose.length === 0 || spans.some((span) => span.traceId !== traceId)) return [...spans];
  const origins = new Map<Origin, number>();
  const packed = loose.map((span) => {
    let index = origins.get(span.origin);
    if (index === undefined) origins.set(span.origin, (index = origins.size));
    return packSpan(span, index);
  });
  const batch = packBatch({ spans: packed, count: packed.length, origins: [...origins.keys()] });
  const views = viewBatch(batch, traceId ?? '', [...origins.keys()], names);
  let next = 0;
  return spans.map((span) => (span instanceof PackedSpanView ? span : (views[next++] as Span)));
}

/** A span as a plain object (a view unpacked), so that it can be spread. */
export function plainSpan(span: Span): Span {
  return span instanceof PackedSpanView ? { ...span.unpack() } : span;
}

/**
 * A span with all its fields read at once, for a reader of every field (a view unpacked,
 * shared with the next caller until another view unpacks; a decoded span as it is).
 */
export function wholeSpan(span: Span): Span {
  return span instanceof PackedSpanView ? span.unpack() : span;
}
