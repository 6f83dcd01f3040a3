/**
 * Binary OTLP → the model in one pass over the wire, without recursion: every message being
 * read is a frame on an explicit stack, so attribute values nested however deep cost no
 * call stack, and the pass can stop between any two fields and resume later (the caller
 * slices it so the event loop is never held long). The limits of ./limits.ts are applied
 * as fields are read: attributes, events and links past their count are skipped undecoded,
 * long values are cut, values nested too deep are skipped and left empty.
 */
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Resource, Span, SpanEvent, SpanLink, TruncationCounts } from '../../model/index.js';
import type { ItemSink } from './items.js';
import { cutText, HEAP, type AttributeLimits, type DecodeMeter } from './limits.js';
import { EMPTY, Frame, Kind, newLog, newSpan, withDropped } from './proto-frame.js';
import { ProtoReader, Wire } from './proto-reader.js';
import { idProblem, itemLabel } from './rejections.js';
import { bytesToBase64, signedToDecimal, uint64ToDecimal } from './scalars.js';

/** The decoding machine for one request; see the module comment. */
export class ProtoDecoder {
  private readonly r: ProtoReader;
  private readonly stack: Frame[] = [];
  private top = 0;
  private ops = 0;

  constructor(
    body: Buffer,
    signal: 'traces' | 'logs',
    private readonly limits: Readonly<AttributeLimits>,
    private readonly meter: DecodeMeter,
    private readonly sink: ItemSink,
  ) {
    this.r = new ProtoReader(body, signal === 'traces' ? 'ExportTraceServiceRequest' : 'ExportLogsServiceRequest');
    const root = this.frame(0);
    root.kind = signal === 'traces' ? Kind.TRACES : Kind.LOGS;
    root.end = body.length;
  }

  /** Reads fields until the request is done (true) or `deadline` (performance.now()) passed (false). */
  step(deadline: number): boolean {
    const r = this.r;
    for (;;) {
      const f = this.stack[this.top] as Frame;
      if (r.pos >= f.end) {
        if (this.top === 0) return true;
        this.finish(f);
        continue;
      }
      if ((++this.ops & 511) === 0 && performance.now() >= deadline) return false;
      const tag = r.varint(f.end);
      const no = Math.floor(tag / 8);
      if (no === 0) throw r.invalid('field number 0');
      this.field(f, no, tag % 8);
    }
  }

  private frame(index: number): Frame {
    let f = this.stack[index];
    if (f === undefined) {
      f = new Frame();
      this.stack[index] = f;
    }
    return f;
  }

  /** Enters a sub-message of `parent` of `kind` building `obj`; its length comes next. */
  private push(parent: Frame, kind: number, obj: unknown, depth = parent.depth, attr = parent.attr): Frame {
    const end = this.r.lengthEnd(parent.end);
    const f = this.frame(++this.top);
    f.kind = kind;
    f.end = end;
    f.obj = obj;
    f.depth = depth;
    f.attr = attr;
    f.cuts = parent.cuts;
    f.dropA = f.dropE = f.dropL = f.lenA = f.lenB = f.lenC = 0;
    f.zeroA = f.zeroB = false;
    f.problem = '';
    return f;
  }

  private field(f: Frame, no: number, wire: number): void {
    switch (f.kind) {
      case Kind.TRACES:
      case Kind.LOGS:
        if (no === 1 && wire === Wire.LEN) return void this.push(f, Kind.RESOURCE_BLOCK, { resource: null, schemaUrl: '', scopes: [], cuts: {} });
        break;
      case Kind.RESOURCE_BLOCK: return this.resourceBlockField(f, no, wire);
      case Kind.SCOPE_BLOCK: return this.scopeBlockField(f, no, wire);
      case Kind.RESOURCE:
        if (no === 1 && wire === Wire.LEN) return this.attribute(f);
        if (no === 2 && wire === Wire.VARINT) return void ((f.obj as Resource).droppedAttributesCount = this.r.uint32(f.end));
        break;
      case Kind.SCOPE: return this.scopeField(f, no, wire);
      case Kind.SPAN: return this.spanField(f, no, wire);
      case Kind.EVENT: return this.eventField(f, no, wire);
      case Kind.LINK: return this.linkField(f, no, wire);
      case Kind.STATUS:
        if (no === 2 && wire === Wire.LEN) return void ((f.obj as Span['status']).message = this.text(f));
        if (no === 3 && wire === Wire.VARINT) return void ((f.obj as Span['status']).code = this.r.int32(f.end));
        break;
      case Kind.LOG: return this.logField(f, no, wire);
      case Kind.KV:
        if (no === 1 && wire === Wire.LEN) return void ((f.obj as KeyValue).key = this.text(f));
        if (no === 2 && wire === Wire.LEN) return void this.push(f, Kind.ANY, EMPTY);
        break;
      case Kind.ANY: return this.valueField(f, no, wire);
      case Kind.ARRAY:
        if (no === 1 && wire === Wire.LEN) return void this.push(f, Kind.ANY, EMPTY, f.depth + 1);
        break;
      case Kind.KVLIST:
        if (no === 1 && wire === Wire.LEN) return this.keyValue(f, f.depth + 1);
        break;
    }
    this.r.skip(wire, f.end);
  }

  private resourceBlockField(f: Frame, no: number, wire: number): void {
    const block = f.obj as { resource: Resource | null; schemaUrl: string; scopes: unknown[]; cuts: TruncationCounts };
    if (no === 1 && wire === Wire.LEN) {
      block.resource = { attributes: [], droppedAttributesCount: 0 };
      this.meter.add(HEAP.object(2) + HEAP.object(0));
      this.push(f, Kind.RESOURCE, block.resource).cuts = block.cuts;
    } else if (no === 2 && wire === Wire.LEN) {
      this.push(f, Kind.SCOPE_BLOCK, { scope: null, schemaUrl: '', items: [], cuts: {} });
    } else if (no === 3 && wire === Wire.LEN) block.schemaUrl = this.text(f);
    else this.r.skip(wire, f.end);
  }

  private scopeBlockField(f: Frame, no: number, wire: number): void {
    const block = f.obj as { scope: InstrumentationScope | null; schemaUrl: string; items: unknown[]; cuts: TruncationCounts };
    const items = (this.stack[0] as Frame).kind === Kind.TRACES ? Kind.SPAN : Kind.LOG;
    if (no === 1 && wire === Wire.LEN) {
      block.scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
      this.meter.add(HEAP.object(4) + HEAP.object(0));
      this.push(f, Kind.SCOPE, block.scope).cuts = block.cuts;
    } else if (no === 2 && wire === Wire.LEN) {
      const item = items === Kind.SPAN ? newSpan() : newLog();
      this.meter.add(HEAP.object(18) + 3 * HEAP.object(0) + HEAP.object(2));
      this.push(f, items, item, 1, false).cuts = {};
    } else if (no === 3 && wire === Wire.LEN) block.schemaUrl = this.text(f);
    else this.r.skip(wire, f.end);
  }

  private scopeField(f: Frame, no: number, wire: number): void {
    const scope = f.obj as InstrumentationScope;
    if (wire === Wire.LEN && no === 1) scope.name = this.text(f);
    else if (wire === Wire.LEN && no === 2) scope.version = this.text(f);
    else if (wire === Wire.LEN && no === 3) this.attribute(f);
    else if (wire === Wire.VARINT && no === 4) scope.droppedAttributesCount = this.r.uint32(f.end);
    else this.r.skip(wire, f.end);
  }

  private spanField(f: Frame, no: number, wire: number): void {
    const s = f.obj as Span;
    const r = this.r;
    if (wire === Wire.LEN) {
      switch (no) {
        case 1: s.traceId = this.id(f); f.lenA = this.idLength; f.zeroA = this.idZero; return;
        case 2: s.spanId = this.id(f); f.lenB = this.idLength; f.zeroB = this.idZero; return;
        case 3: s.traceState = this.text(f); return;
        case 4: {
          const hex = this.id(f);
          f.lenC = this.idLength;
          // An all-zero parent is how some encoders spell "no parent".
          s.parentSpanId = this.idZero ? '' : hex;
          return;
        }
        case 5: s.name = this.text(f); return;
        case 9: return this.attribute(f);
        case 11: return this.child(f, s.events, this.limits.eventCount, Kind.EVENT, 'event_count');
        case 13: return this.child(f, s.links, this.limits.linkCount, Kind.LINK, 'link_count');
        case 15: s.status = { code: 0, message: '' }; this.meter.add(HEAP.object(2)); return void this.push(f, Kind.STATUS, s.status);
      }
    } else if (wire === Wire.VARINT) {
      switch (no) {
        case 6: s.kind = r.int32(f.end); return;
        case 10: s.droppedAttributesCount = r.uint32(f.end); return;
        case 12: s.droppedEventsCount = r.uint32(f.end); return;
        case 14: s.droppedLinksCount = r.uint32(f.end); return;
      }
    } else if (wire === Wire.I64 && (no === 7 || no === 8)) {
      r.fixed64(f.end);
      const time = uint64ToDecimal(r.hi, r.lo);
      this.meter.add(HEAP.string(time.length, time.length));
      if (no === 7) s.startTimeUnixNano = time;
      else s.endTimeUnixNano = time;
      return;
    } else if (wire === Wire.I32 && no === 16) return void (s.flags = r.fixed32(f.end));
    r.skip(wire, f.end);
  }

  private eventField(f: Frame, no: number, wire: number): void {
    const e = f.obj as SpanEvent;
    if (wire === Wire.I64 && no === 1) e.timeUnixNano = this.time(f);
    else if (wire === Wire.LEN && no === 2) e.name = this.text(f);
    else if (wire === Wire.LEN && no === 3) this.attribute(f);
    else if (wire === Wire.VARINT && no === 4) e.droppedAttributesCount = this.r.uint32(f.end);
    else this.r.skip(wire, f.end);
  }

  private linkField(f: Frame, no: number, wire: number): void {
    const l = f.obj as SpanLink;
    if (wire === Wire.LEN && no === 1) {
      l.traceId = this.id(f);
      f.lenA = this.idLength;
    } else if (wire === Wire.LEN && no === 2) {
      l.spanId = this.id(f);
      f.lenB = this.idLength;
    } else if (wire === Wire.LEN && no === 3) l.traceState = this.text(f);
    else if (wire === Wire.LEN && no === 4) this.attribute(f);
    else if (wire === Wire.VARINT && no === 5) l.droppedAttributesCount = this.r.uint32(f.end);
    else if (wire === Wire.I32 && no === 6) l.flags = this.r.fixed32(f.end);
    else this.r.skip(wire, f.end);
  }

  private logField(f: Frame, no: number, wire: number): void {
    const log = f.obj as LogRecord;
    if (wire === Wire.I64 && (no === 1 || no === 11)) {
      const time = this.time(f);
      if (no === 1) log.timeUnixNano = time;
      else log.observedTimeUnixNano = time;
    } else if (wire === Wire.VARINT && no === 2) log.severityNumber = this.r.int32(f.end);
    else if (wire === Wire.LEN && no === 3) log.severityText = this.text(f);
    else if (wire === Wire.LEN && no === 5) this.push(f, Kind.ANY, EMPTY, 1, false);
    else if (wire === Wire.LEN && no === 6) this.attribute(f);
    else if (wire === Wire.VARINT && no === 7) log.droppedAttributesCount = this.r.uint32(f.end);
    else if (wire === Wire.I32 && no === 8) log.flags = this.r.fixed32(f.end);
    else if (wire === Wire.LEN && (no === 9 || no === 10)) this.logId(f, log, no === 9);
    else if (wire === Wire.LEN && no === 12) log.eventName = this.text(f);
    else this.r.skip(wire, f.end);
  }

  private logId(f: Frame, log: LogRecord, trace: boolean): void {
    const hex = this.id(f);
    if (trace) {
      log.traceId = hex;
      f.lenA = this.idLength;
      f.zeroA = this.idZero;
    } else {
      log.spanId = hex;
      f.lenB = this.idLength;
      f.zeroB = this.idZero;
    }
  }

  private valueField(f: Frame, no: number, wire: number): void {
    const r = this.r;
    if (wire === Wire.LEN && no === 1) {
      f.obj = { stringValue: this.text(f, f.attr) };
    } else if (wire === Wire.VARINT && no === 2) {
      r.varint64(f.end);
      f.obj = { boolValue: r.lo !== 0 || r.hi !== 0 };
    } else if (wire === Wire.VARINT && no === 3) {
      r.varint64(f.end);
      const text = signedToDecimal({ low: r.lo, high: r.hi, unsigned: false });
      f.obj = { intValue: text };
      this.meter.add(HEAP.string(text.length, text.length));
    } else if (wire === Wire.I64 && no === 4) {
      f.obj = { doubleValue: r.double(f.end) };
    } else if (wire === Wire.LEN && no === 7) {
      f.obj = { bytesValue: this.bytes(f) };
    } else if (wire === Wire.LEN && (no === 5 || no === 6)) {
      return this.container(f, no === 5);
    } else return r.skip(wire, f.end);
    this.meter.add(HEAP.object(1));
  }

  /** An array or key-value list value: read, or skipped and left empty when too deep. */
  private container(f: Frame, array: boolean): void {
    if (f.depth > this.limits.attributeValueDepth) {
      this.r.pos = this.r.lengthEnd(f.end);
      f.obj = EMPTY;
      this.meter.cut(f.cuts, 'attribute_value_depth');
      return;
    }
    const values: unknown[] = [];
    f.obj = array ? { arrayValue: { values } } : { kvlistValue: { values } };
    this.meter.add(3 * HEAP.object(1));
    this.push(f, array ? Kind.ARRAY : Kind.KVLIST, values);
  }

  /** One attribute of the message `f` builds, or skipped past attribute_count_limit. */
  private attribute(f: Frame): void {
    const owner = f.obj as { attributes: KeyValue[] };
    if (owner.attributes.length < this.limits.attributeCount) return this.keyValue(f, 1, true);
    this.r.pos = this.r.lengthEnd(f.end);
    f.dropA += 1;
    this.meter.cut(f.cuts, 'attribute_count');
  }

  private keyValue(f: Frame, depth: number, attr = f.attr): void {
    this.meter.add(HEAP.object(2) + HEAP.arraySlot);
    this.push(f, Kind.KV, { key: '', value: EMPTY }, depth, attr);
  }

  /** An event or link of a span, or skipped past its count limit. */
  private child(f: Frame, list: unknown[], limit: number, kind: number, cut: 'event_count' | 'link_count'): void {
    if (list.length < limit) {
      const obj = kind === Kind.EVENT
        ? { timeUnixNano: '0', name: '', attributes: [], droppedAttributesCount: 0 }
        : { traceId: '', spanId: '', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 };
      this.meter.add(HEAP.object(6) + HEAP.object(0) + HEAP.arraySlot);
      return void this.push(f, kind, obj, 1, false);
    }
    this.r.pos = this.r.lengthEnd(f.end);
    if (kind === Kind.EVENT) f.dropE += 1;
    else f.dropL += 1;
    this.meter.cut(f.cuts, cut);
  }

  /** Ends the frame on top: hands what it built to its parent. */
  private finish(f: Frame): void {
    const parent = this.stack[--this.top] as Frame;
    switch (f.kind) {
      case Kind.RESOURCE_BLOCK: return this.sink.block(f.obj);
      case Kind.SCOPE_BLOCK: return void (parent.obj as { scopes: unknown[] }).scopes.push(f.obj);
      case Kind.SPAN:
      case Kind.LOG: return this.finishItem(f, parent.obj as { items: unknown[] });
      case Kind.EVENT: return void (parent.obj as Span).events.push(withDropped(f));
      case Kind.LINK: {
        if (parent.problem === '') {
          parent.problem = idProblem('link trace_id', f.lenA, false, 16, false) || idProblem('link span_id', f.lenB, false, 8, false);
        }
        return void (parent.obj as Span).links.push(withDropped(f));
      }
      case Kind.RESOURCE:
      case Kind.SCOPE: return void withDropped(f);
      case Kind.KV: {
        const list = parent.kind === Kind.KVLIST ? (parent.obj as KeyValue[]) : (parent.obj as { attributes: KeyValue[] }).attributes;
        return void list.push(f.obj as KeyValue);
      }
      case Kind.ANY: {
        const value = f.obj === EMPTY ? {} : (f.obj as AnyValue);
        if (parent.kind === Kind.KV) (parent.obj as KeyValue).value = value;
        else if (parent.kind === Kind.ARRAY) (parent.obj as AnyValue[]).push(value);
        else (parent.obj as LogRecord).body = value;
      }
    }
  }

  /** A span or log record: kept in its scope block, or rejected for unusable ids. */
  private finishItem(f: Frame, block: { items: unknown[] }): void {
    const index = this.sink.nextIndex();
    const item = withDropped<Span | LogRecord>(f);
    let problem: string;
    if (f.kind === Kind.SPAN) {
      problem = idProblem('trace_id', f.lenA, f.zeroA, 16, false) || idProblem('span_id', f.lenB, f.zeroB, 8, false)
        || idProblem('parent_span_id', f.lenC, false, 8, true) || f.problem;
    } else {
      problem = idProblem('trace_id', f.lenA, false, 16, true) || idProblem('span_id', f.lenB, false, 8, true);
      const log = item as LogRecord;
      if (f.zeroA) log.traceId = '';
      if (f.zeroB) log.spanId = '';
    }
    if (problem !== '') return this.sink.reject(itemLabel('name' in item ? item.name : item.eventName, index), problem);
    if (Object.keys(f.cuts).length > 0) item.truncated = f.cuts;
    block.items.push(item);
  }

  // Results of the last id read: its byte length and whether every byte is zero.
  private idLength = 0;
  private idZero = true;

  /** A bytes id field as lower-case hex. */
  private id(f: Frame): string {
    const r = this.r;
    const end = r.lengthEnd(f.end);
    const buf = r.buf;
    let zero = true;
    for (let i = r.pos; i < end; i++) if (buf[i] !== 0) zero = false;
    this.idLength = end - r.pos;
    this.idZero = zero;
    const hex = this.idLength === 0 ? '' : buf.toString('hex', r.pos, end);
    r.pos = end;
    this.meter.add(HEAP.string(hex.length, hex.length));
    return hex;
  }

  /** A string field; with `cut`, cut at attribute_value_length_limit (decoding only what is kept). */
  private text(f: Frame, cut = false): string {
    const r = this.r;
    const end = r.lengthEnd(f.end);
    const limit = cut ? this.limits.attributeValueLength : null;
    // A UTF-16 unit takes at most 3 UTF-8 bytes: more than that many bytes cannot fit.
    const decodeEnd = limit === null ? end : Math.min(end, r.pos + 3 * limit + 4);
    let text = r.buf.toString('utf8', r.pos, decodeEnd);
    if (limit !== null && text.length > limit) {
      text = cutText(text, limit);
      this.meter.cut(f.cuts, 'attribute_value_length');
    }
    this.meter.add(HEAP.string(text.length, decodeEnd - r.pos));
    r.pos = end;
    return text;
  }

  /** A bytes value as base64; cut at attribute_value_length_limit bytes in attributes. */
  private bytes(f: Frame): string {
    const r = this.r;
    const end = r.lengthEnd(f.end);
    const limit = f.attr ? this.limits.attributeValueLength : null;
    let stop = end;
    if (limit !== null && end - r.pos > limit) {
      stop = r.pos + limit;
      this.meter.cut(f.cuts, 'attribute_value_length');
    }
    const text = bytesToBase64(r.buf.subarray(r.pos, stop));
    this.meter.add(HEAP.string(text.length, text.length));
    r.pos = end;
    return text;
  }

  private time(f: Frame): string {
    this.r.fixed64(f.end);
    const time = uint64ToDecimal(this.r.hi, this.r.lo);
    this.meter.add(HEAP.string(time.length, time.length));
    return time;
  }
}
