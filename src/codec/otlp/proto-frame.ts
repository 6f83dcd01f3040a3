/** The frames of {@link ProtoDecoder}'s explicit stack, and the messages they start from. */
import type { AnyValue, LogRecord, Origin, Span, TruncationCounts } from '../../model/index.js';

/** What each frame reads. */
export const Kind = {
  TRACES: 0, LOGS: 1, RESOURCE_BLOCK: 2, RESOURCE: 3, SCOPE_BLOCK: 4, SCOPE: 5, SPAN: 6, EVENT: 7, LINK: 8,
  STATUS: 9, LOG: 10, KV: 11, ANY: 12, ARRAY: 13, KVLIST: 14,
} as const;

/** One message being read. Frames are reused, so the stack allocates nothing per message. */
export class Frame {
  kind = 0;
  end = 0;
  /** Nesting of the attribute value being read (1: an attribute's own value). */
  depth = 0;
  /** True inside attributes, where attribute_value_length_limit applies. */
  attr = false;
  obj: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any -- the message being built, typed by `kind`
  /** Where cuts are counted: the span's or record's own counts, or its block's. */
  cuts: TruncationCounts = {};
  /** Attributes, events and links skipped by the limits (added to the dropped counts at the end). */
  dropA = 0;
  dropE = 0;
  dropL = 0;
  /** Id bytes as read (trace, span, parent): length and all-zero, for validation at the end. */
  lenA = 0;
  lenB = 0;
  lenC = 0;
  zeroA = false;
  zeroB = false;
  /** A span's first unusable link, as a problem sentence. */
  problem = '';
}

/** The value of an AnyValue with no field set (replaced by a fresh `{}` when it ends). */
export const EMPTY: AnyValue = Object.freeze({}) as AnyValue;

/** A span with every field at its default. */
export function newSpan(): Span {
  return {
    traceId: '', spanId: '', parentSpanId: '', traceState: '', flags: 0, name: '', kind: 0,
    startTimeUnixNano: '0', endTimeUnixNano: '0', attributes: [], droppedAttributesCount: 0, events: [],
    droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' }, origin: NO_ORIGIN,
  };
}

/** A log record with every field at its default. */
export function newLog(): LogRecord {
  return {
    timeUnixNano: '0', observedTimeUnixNano: '0', severityNumber: 0, severityText: '', body: {}, attributes: [],
    droppedAttributesCount: 0, flags: 0, traceId: '', spanId: '', eventName: '', origin: NO_ORIGIN,
  };
}

/** Every item gets its block's origin once the block is read; until then, this one. */
export const NO_ORIGIN: Origin = Object.freeze({
  resource: { attributes: [], droppedAttributesCount: 0 },
  resourceSchemaUrl: '',
  scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
  scopeSchemaUrl: '',
});

const UINT32_MAX = 0xffffffff;

/** The frame's message with the attributes (events, links) the limits skipped added to its dropped counts. */
export function withDropped<T>(f: Frame): T {
  const obj = f.obj as { droppedAttributesCount: number; droppedEventsCount?: number; droppedLinksCount?: number };
  if (f.dropA > 0) obj.droppedAttributesCount = Math.min(UINT32_MAX, obj.droppedAttributesCount + f.dropA);
  if (f.dropE > 0) obj.droppedEventsCount = Math.min(UINT32_MAX, (obj.droppedEventsCount ?? 0) + f.dropE);
  if (f.dropL > 0) obj.droppedLinksCount = Math.min(UINT32_MAX, (obj.droppedLinksCount ?? 0) + f.dropL);
  return obj as T;
}
