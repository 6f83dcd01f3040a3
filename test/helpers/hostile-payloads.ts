/**
 * Hostile OTLP requests built by hand, byte by byte, so that nothing in the test (no
 * recursive encoder, no JSON.stringify) limits how deep, wide or large they get. Each
 * builder works from the inside out, iteratively.
 */

const START_NS = 1767695400000000000n;

/** A protobuf varint. */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A length-delimited field. */
function field(num: number, body: Buffer): Buffer {
  return Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);
}

function fixed64(num: number, value: bigint): Buffer {
  const b = Buffer.alloc(9);
  b[0] = (num << 3) | 1;
  b.writeBigUInt64LE(value, 1);
  return b;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const hexId = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');

/** A KeyValue whose value is a kvlist nested `depth` levels (protobuf), innermost a string. */
export function deepKeyValueProto(depth: number): Buffer {
  let value = field(1, text('bottom')); // AnyValue{string_value}
  for (let i = 0; i < depth; i++) {
    const kv = Buffer.concat([field(1, text('k')), field(2, value)]);
    value = field(6, field(1, kv)); // AnyValue{kvlist_value: KeyValueList{values: [kv]}}
  }
  return Buffer.concat([field(1, text('deep')), field(2, value)]);
}

/** The same value as OTLP/JSON text. */
export function deepKeyValueJson(depth: number): string {
  const open = '{"kvlistValue":{"values":[{"key":"k","value":';
  return `{"key":"deep","value":${open.repeat(depth)}{"stringValue":"bottom"}${'}]}}'.repeat(depth)}}`;
}

/** JSON text nested `depth` arrays deep, as an agent's output attribute might hold it. */
export function deepJsonText(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

interface SpanSpec {
  traceId: string;
  index: number;
  parent?: number;
  name?: string;
  /** Encoded KeyValue messages (protobuf) or JSON objects (text), per format. */
  attributes?: Buffer[];
}

/** One span (protobuf), its id from `index`. */
export function spanProto({ traceId, index, parent, name, attributes = [] }: SpanSpec): Buffer {
  const parts = [
    field(1, Buffer.from(traceId, 'hex')),
    field(2, Buffer.from(hexId(index + 1, 8), 'hex')),
    ...(parent === undefined ? [] : [field(4, Buffer.from(hexId(parent + 1, 8), 'hex'))]),
    field(5, text(name ?? (parent === undefined ? 'invoke_agent hostile' : 'child'))),
    fixed64(7, START_NS + BigInt(index)),
    fixed64(8, START_NS + 1_000_000_000n + BigInt(index)),
    ...attributes.map((kv) => field(9, kv)),
  ];
  return Buffer.concat(parts);
}

/** An ExportTraceServiceRequest of encoded spans, under one resource and scope. */
export function tracesRequestProto(spans: readonly Buffer[]): Buffer {
  const resource = field(1, field(1, Buffer.concat([field(1, text('service.name')), field(2, field(1, text('hostile')))])));
  const scope = field(1, field(1, text('hostile-test')));
  return field(1, Buffer.concat([resource, field(2, Buffer.concat([scope, ...spans.map((s) => field(2, s))]))]));
}

/** One span as OTLP/JSON text; `attributes` are JSON texts of KeyValue objects. */
export function spanJson({ traceId, index, parent, name, attributes = [] }: Omit<SpanSpec, 'attributes'> & { attributes?: string[] }): string {
  const parentPart = parent === undefined ? '' : `"parentSpanId":"${hexId(parent + 1, 8)}",`;
  const start = START_NS + BigInt(index);
  return `{"traceId":"${traceId}","spanId":"${hexId(index + 1, 8)}",${parentPart}"name":"${name ?? (parent === undefined ? 'invoke_agent hostile' : 'child')}",` +
    `"startTimeUnixNano":"${start}","endTimeUnixNano":"${start + 1_000_000_000n}","attributes":[${attributes.join(',')}]}`;
}

/** An ExportTraceServiceRequest (OTLP/JSON) of span texts. */
export function tracesRequestJson(spans: readonly string[]): string {
  return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"hostile"}}]},"scopeSpans":[{"scope":{"name":"hostile-test"},"spans":[${spans.join(',')}]}]}]}`;
}

/** An ExportLogsServiceRequest (protobuf) of one log record in `traceId` with `count` empty attributes. */
export function manyAttributesLogProto(traceId: string, count: number): Buffer {
  const empty = field(6, Buffer.alloc(0)); // LogRecord.attributes: an empty KeyValue
  const record = Buffer.concat([
    fixed64(1, START_NS),
    field(5, field(1, text('hello'))),
    Buffer.alloc(count * empty.length, empty),
    field(9, Buffer.from(traceId, 'hex')),
  ]);
  return field(1, field(2, field(2, record)));
}

/** A span (protobuf) with `count` empty attributes. */
export function manyAttributesSpanProto(traceId: string, count: number): Buffer {
  const empty = field(9, Buffer.alloc(0));
  return Buffer.concat([spanProto({ traceId, index: 0 }), Buffer.alloc(count * empty.length, empty)]);
}
