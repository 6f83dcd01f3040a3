/**
 * A parsed OTLP/JSON request → the model, without recursion and in steps: every list still
 * to convert (resource blocks, scope blocks, items, attributes, events, links, array and
 * key-value list values) is a job on an explicit stack, one element per step, so the work
 * can stop after any element and resume. The limits of ./limits.ts are applied on the way.
 */
import type { AnyValue, KeyValue, LogRecord, Resource, Span, SpanEvent, SpanLink, TruncationCounts } from '../../model/index.js';
import type { ItemSink, ResourceBlock, ScopeBlock } from './items.js';
import { readId, requestBlocks, SHAPES, type JsonId } from './json-common.js';
import { TOO_DEEP } from './json-parser.js';
import type { JsonObject } from './json-read.js';
import {
  arrayField, asObject, boolValue, bytesValue, doubleValue, enumField, field, int64Value, objectField, stringField, stringValue,
  uint32Field, uint64Field,
} from './json-read.js';
import { cutText, HEAP, type AttributeLimits, type DecodeMeter } from './limits.js';
import { idProblem, itemLabel } from './rejections.js';
import { enumValues } from './schema.js';
import type { Signal } from './types.js';

const Job = {
  BLOCKS: 0, SCOPES: 1, ITEMS: 2, ATTRIBUTES: 3, VALUES: 4, KVLIST: 5, EVENTS: 6, LINKS: 7, ITEM_END: 8, BLOCK_END: 9,
} as const;

/** A list being converted, or (n = 0) something to finish once the jobs above it are done. */
interface ListJob {
  kind: number;
  raw: readonly unknown[];
  i: number;
  n: number;
  into: unknown;
  depth: number;
  attr: boolean;
  cuts: TruncationCounts;
  /** ITEMS: the scope block the items go to; ITEM_END: it, with the item in `into`. */
  block: ScopeBlock | null;
}

const UINT32_MAX = 0xffffffff;

/** The conversion of one parsed request; see the module comment. */
export class JsonConverter {
  private readonly jobs: ListJob[] = [];
  private ops = 0;

  constructor(
    root: unknown,
    private readonly signal: Signal,
    private readonly limits: Readonly<AttributeLimits>,
    private readonly meter: DecodeMeter,
    private readonly sink: ItemSink,
  ) {
    const blocks = requestBlocks(root === TOO_DEEP ? null : root, signal);
    this.push(Job.BLOCKS, blocks, blocks.length, null, 0, false, {});
  }

  /** Converts until done (true) or `deadline` (performance.now()) passed (false). */
  step(deadline: number): boolean {
    for (;;) {
      const job = this.jobs[this.jobs.length - 1];
      if (job === undefined) return true;
      if ((++this.ops & 255) === 0 && performance.now() >= deadline) return false;
      if (job.i >= job.n) {
        this.jobs.pop();
        this.end(job);
        continue;
      }
      this.element(job, job.raw[job.i++]);
    }
  }

  private push(kind: number, raw: readonly unknown[], n: number, into: unknown, depth: number, attr: boolean, cuts: TruncationCounts, block: ScopeBlock | null = null): void {
    this.jobs.push({ kind, raw, i: 0, n, into, depth, attr, cuts, block });
  }

  private end(job: ListJob): void {
    if (job.kind === Job.BLOCK_END) this.sink.block(job.into as ResourceBlock);
    else if (job.kind === Job.ITEM_END) {
      const item = job.into as Span | LogRecord;
      if (Object.keys(job.cuts).length > 0) item.truncated = job.cuts;
      (job.block as ScopeBlock).items.push(item);
    }
  }

  private element(job: ListJob, raw: unknown): void {
    switch (job.kind) {
      case Job.BLOCKS: return this.resourceBlock(asObject(raw, `${SHAPES[this.signal].blocks[0]}[]`));
      case Job.SCOPES: return this.scopeBlock(job.into as ResourceBlock, asObject(raw, `${SHAPES[this.signal].scopes[0]}[]`));
      case Job.ITEMS: return this.item(asObject(raw, `${SHAPES[this.signal].items[0]}[]`), job.block as ScopeBlock);
      case Job.ATTRIBUTES:
      case Job.KVLIST: {
        const kv = asObject(raw, 'attributes[]');
        const value = this.value(field(kv, 'value'), job.depth, job.attr, job.cuts);
        (job.into as KeyValue[]).push({ key: stringField(kv, 'key'), value });
        return this.meter.add(HEAP.object(2) + HEAP.arraySlot);
      }
      case Job.VALUES: return void (job.into as AnyValue[]).push(this.value(raw, job.depth, job.attr, job.cuts));
      case Job.EVENTS: return void (job.into as SpanEvent[]).push(this.event(raw, job.cuts));
      case Job.LINKS: return void (job.into as SpanLink[]).push(this.link(raw as ReadLink, job.cuts));
    }
  }

  private resourceBlock(raw: JsonObject): void {
    const block: ResourceBlock = { resource: null, schemaUrl: stringField(raw, 'schemaUrl', 'schema_url'), scopes: [], cuts: {} };
    this.meter.add(HEAP.object(4));
    this.push(Job.BLOCK_END, [], 0, block, 0, false, block.cuts);
    const scopes = arrayField(raw, ...SHAPES[this.signal].scopes);
    this.push(Job.SCOPES, scopes, scopes.length, block, 0, false, block.cuts);
    const r = objectField(raw, 'resource');
    if (r === undefined) return;
    const resource: Resource = { attributes: [], droppedAttributesCount: uint32Field(r, 'droppedAttributesCount', 'dropped_attributes_count') };
    block.resource = resource;
    this.attributes(r, resource, block.cuts);
  }

  private scopeBlock(resourceBlock: ResourceBlock, raw: JsonObject): void {
    const block: ScopeBlock = { scope: null, schemaUrl: stringField(raw, 'schemaUrl', 'schema_url'), items: [], cuts: {} };
    resourceBlock.scopes.push(block);
    this.meter.add(HEAP.object(4));
    const items = arrayField(raw, ...SHAPES[this.signal].items);
    this.push(Job.ITEMS, items, items.length, null, 0, false, block.cuts, block);
    const s = objectField(raw, 'scope') ?? {};
    block.scope = {
      name: stringField(s, 'name'),
      version: stringField(s, 'version'),
      attributes: [],
      droppedAttributesCount: uint32Field(s, 'droppedAttributesCount', 'dropped_attributes_count'),
    };
    this.meter.add(HEAP.object(4) + HEAP.string(block.scope.name.length, 0) + HEAP.string(block.scope.version.length, 0));
    this.attributes(s, block.scope, block.cuts);
  }

  /** Queues the `attributes` of `raw` into `owner`, the ones past attribute_count_limit dropped and counted. */
  private attributes(raw: JsonObject, owner: { attributes: KeyValue[]; droppedAttributesCount: number }, cuts: TruncationCounts): void {
    const list = arrayField(raw, 'attributes');
    const n = Math.min(list.length, this.limits.attributeCount);
    if (n < list.length) {
      owner.droppedAttributesCount = Math.min(UINT32_MAX, owner.droppedAttributesCount + list.length - n);
      this.meter.cut(cuts, 'attribute_count', list.length - n);
    }
    this.push(Job.ATTRIBUTES, list, n, owner.attributes, 1, true, cuts);
  }

  private item(raw: JsonObject, block: ScopeBlock): void {
    const index = this.sink.nextIndex();
    const cuts: TruncationCounts = {};
    const item = this.signal === 'traces' ? this.span(raw, cuts, block) : this.log(raw, cuts, block);
    if (typeof item === 'string') {
      const name = this.signal === 'traces' ? stringField(raw, 'name') : stringField(raw, 'eventName', 'event_name');
      this.sink.reject(itemLabel(name, index), item);
    }
  }

  /** The span (its lists queued, with an ITEM_END below them), or why its ids make it unusable. */
  private span(s: JsonObject, cuts: TruncationCounts, block: ScopeBlock): Span | string {
    const traceId = readId(s, 'traceId', 'trace_id');
    const spanId = readId(s, 'spanId', 'span_id');
    const parent = readId(s, 'parentSpanId', 'parent_span_id');
    const rawLinks = arrayField(s, 'links');
    const links = rawLinks.slice(0, this.limits.linkCount).map(readLink);
    let problem = idProblem('trace_id', traceId.length, traceId.zero, 16, false)
      || idProblem('span_id', spanId.length, spanId.zero, 8, false)
      || idProblem('parent_span_id', parent.length, false, 8, true);
    for (let i = 0; problem === '' && i < links.length; i++) {
      const link = links[i] as ReadLink;
      problem = idProblem('link trace_id', link.traceId.length, false, 16, false) || idProblem('link span_id', link.spanId.length, false, 8, false);
    }
    if (problem !== '') return problem;
    const status = objectField(s, 'status') ?? {};
    const rawEvents = arrayField(s, 'events');
    const span: Span = {
      traceId: traceId.hex,
      spanId: spanId.hex,
      // An all-zero parent is how some encoders spell "no parent".
      parentSpanId: parent.zero ? '' : parent.hex,
      traceState: stringField(s, 'traceState', 'trace_state'),
      flags: uint32Field(s, 'flags'),
      name: stringField(s, 'name'),
      kind: enumField(s, 'kind', undefined, enumValues.spanKind),
      startTimeUnixNano: uint64Field(s, 'startTimeUnixNano', 'start_time_unix_nano'),
      endTimeUnixNano: uint64Field(s, 'endTimeUnixNano', 'end_time_unix_nano'),
      attributes: [],
      droppedAttributesCount: uint32Field(s, 'droppedAttributesCount', 'dropped_attributes_count'),
      events: [],
      droppedEventsCount: this.dropped(uint32Field(s, 'droppedEventsCount', 'dropped_events_count'), rawEvents.length, this.limits.eventCount, cuts, 'event_count'),
      links: [],
      droppedLinksCount: this.dropped(uint32Field(s, 'droppedLinksCount', 'dropped_links_count'), rawLinks.length, this.limits.linkCount, cuts, 'link_count'),
      status: { code: enumField(status, 'code', undefined, enumValues.statusCode), message: stringField(status, 'message') },
      origin: null as unknown as Span['origin'],
    };
    this.meter.add(HEAP.object(18) + 4 * HEAP.object(2) + HEAP.string(span.name.length, 0) + 200);
    this.push(Job.ITEM_END, [], 0, span, 0, false, cuts, block);
    this.push(Job.LINKS, links, links.length, span.links, 0, false, cuts);
    this.push(Job.EVENTS, rawEvents, Math.min(rawEvents.length, this.limits.eventCount), span.events, 0, false, cuts);
    this.attributes(s, span, cuts);
    return span;
  }

  /** The log record (its lists queued), or why its ids make it unusable. */
  private log(r: JsonObject, cuts: TruncationCounts, block: ScopeBlock): LogRecord | string {
    const traceId = readId(r, 'traceId', 'trace_id');
    const spanId = readId(r, 'spanId', 'span_id');
    const problem = idProblem('trace_id', traceId.length, false, 16, true) || idProblem('span_id', spanId.length, false, 8, true);
    if (problem !== '') return problem;
    const log: LogRecord = {
      timeUnixNano: uint64Field(r, 'timeUnixNano', 'time_unix_nano'),
      observedTimeUnixNano: uint64Field(r, 'observedTimeUnixNano', 'observed_time_unix_nano'),
      severityNumber: enumField(r, 'severityNumber', 'severity_number', enumValues.severityNumber),
      severityText: stringField(r, 'severityText', 'severity_text'),
      body: {},
      attributes: [],
      droppedAttributesCount: uint32Field(r, 'droppedAttributesCount', 'dropped_attributes_count'),
      flags: uint32Field(r, 'flags'),
      traceId: traceId.zero ? '' : traceId.hex,
      spanId: spanId.zero ? '' : spanId.hex,
      eventName: stringField(r, 'eventName', 'event_name'),
      origin: null as unknown as LogRecord['origin'],
    };
    this.meter.add(HEAP.object(13) + HEAP.object(0) + 200);
    this.push(Job.ITEM_END, [], 0, log, 0, false, cuts, block);
    log.body = this.value(field(r, 'body'), 1, false, cuts);
    this.attributes(r, log, cuts);
    return log;
  }

  private event(raw: unknown, cuts: TruncationCounts): SpanEvent {
    const e = asObject(raw, 'events[]');
    const event: SpanEvent = {
      timeUnixNano: uint64Field(e, 'timeUnixNano', 'time_unix_nano'),
      name: stringField(e, 'name'),
      attributes: [],
      droppedAttributesCount: uint32Field(e, 'droppedAttributesCount', 'dropped_attributes_count'),
    };
    this.meter.add(HEAP.object(4) + HEAP.object(0) + HEAP.string(event.name.length, 0) + 48);
    this.attributes(e, event, cuts);
    return event;
  }

  private link(read: ReadLink, cuts: TruncationCounts): SpanLink {
    const l = read.raw;
    const link: SpanLink = {
      traceId: read.traceId.hex,
      spanId: read.spanId.hex,
      traceState: stringField(l, 'traceState', 'trace_state'),
      attributes: [],
      droppedAttributesCount: uint32Field(l, 'droppedAttributesCount', 'dropped_attributes_count'),
      flags: uint32Field(l, 'flags'),
    };
    this.meter.add(HEAP.object(6) + HEAP.object(0) + 112);
    this.attributes(l, link, cuts);
    return link;
  }

  /** A count of dropped items plus those past `limit` of `total`, which are counted as cut. */
  private dropped(reported: number, total: number, limit: number, cuts: TruncationCounts, cut: 'event_count' | 'link_count'): number {
    if (total <= limit) return reported;
    this.meter.cut(cuts, cut, total - limit);
    return Math.min(UINT32_MAX, reported + total - limit);
  }

  /**
   * An AnyValue object (null or absent: an empty value). An array or key-value list gets
   * its container now and its elements queued; nested past attribute_value_depth_limit it
   * is left empty and counted. In attributes (`attr`) long strings and bytes are cut.
   */
  private value(raw: unknown, depth: number, attr: boolean, cuts: TruncationCounts): AnyValue {
    if (raw === undefined || raw === null) return {};
    if (raw === TOO_DEEP) {
      this.meter.cut(cuts, 'attribute_value_depth');
      return {};
    }
    const v = asObject(raw, 'value');
    this.meter.add(HEAP.object(1));
    let x: unknown;
    if ((x = field(v, 'stringValue', 'string_value')) !== undefined) return { stringValue: this.text(stringValue(x, 'stringValue'), attr, cuts) };
    if ((x = field(v, 'intValue', 'int_value')) !== undefined) return { intValue: int64Value(x, 'intValue') };
    if ((x = field(v, 'boolValue', 'bool_value')) !== undefined) return { boolValue: boolValue(x, 'boolValue') };
    if ((x = field(v, 'doubleValue', 'double_value')) !== undefined) return { doubleValue: doubleValue(x, 'doubleValue') };
    if ((x = field(v, 'bytesValue', 'bytes_value')) !== undefined) return { bytesValue: this.bytes(bytesValue(x, 'bytesValue'), attr, cuts) };
    const array = field(v, 'arrayValue', 'array_value');
    const kvlist = array === undefined ? field(v, 'kvlistValue', 'kvlist_value') : undefined;
    if (array === undefined && kvlist === undefined) return {};
    if (depth > this.limits.attributeValueDepth || array === TOO_DEEP || kvlist === TOO_DEEP) {
      this.meter.cut(cuts, 'attribute_value_depth');
      return {};
    }
    this.meter.add(2 * HEAP.object(1));
    if (array !== undefined) {
      const values: AnyValue[] = [];
      const list = arrayField(asObject(array, 'arrayValue'), 'values');
      this.push(Job.VALUES, list, list.length, values, depth + 1, attr, cuts);
      return { arrayValue: { values } };
    }
    const values: KeyValue[] = [];
    const list = arrayField(asObject(kvlist, 'kvlistValue'), 'values');
    this.push(Job.KVLIST, list, list.length, values, depth + 1, attr, cuts);
    return { kvlistValue: { values } };
  }

  private text(value: string, attr: boolean, cuts: TruncationCounts): string {
    const limit = attr ? this.limits.attributeValueLength : null;
    if (limit === null || value.length <= limit) return value;
    this.meter.cut(cuts, 'attribute_value_length');
    return cutText(value, limit);
  }

  private bytes(base64: string, attr: boolean, cuts: TruncationCounts): string {
    const limit = attr ? this.limits.attributeValueLength : null;
    if (limit === null || base64.length <= Math.ceil(limit / 3) * 4) return base64;
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length <= limit) return base64;
    this.meter.cut(cuts, 'attribute_value_length');
    return bytes.subarray(0, limit).toString('base64');
  }
}

/** A link and its ids, which decide whether the span is kept. */
interface ReadLink {
  raw: JsonObject;
  traceId: JsonId;
  spanId: JsonId;
}

function readLink(raw: unknown): ReadLink {
  const l = asObject(raw, 'links[]');
  return { raw: l, traceId: readId(l, 'traceId', 'trace_id'), spanId: readId(l, 'spanId', 'span_id') };
}
