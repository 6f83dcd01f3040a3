import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Origin, Span } from '../../../src/model/index.js';
import { keyOfPacked, packBatch, packedNames, packSpan, plainSpan, spanKey, unpackBatch, unpackSpan, viewBatch, viewSpans, wholeSpan } from '../../../src/codec/otlp/packed-span.js';
import { span as anySpan } from '../../helpers/otlp-arbitraries.js';

const origin: Origin = {
  resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 0 },
  resourceSchemaUrl: '',
  scope: { name: 'scope', version: '1', attributes: [], droppedAttributesCount: 0 },
  scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.0',
};
const other: Origin = { ...origin, resourceSchemaUrl: 'other' };

function roundTrip(span: Span, origins: Origin[] = [origin, other]): Span {
  const packed = packSpan(span, origins.indexOf(span.origin));
  expect(packed.startsWith(spanKey(span.spanId))).toBe(true);
  expect(keyOfPacked(packed)).toBe(spanKey(span.spanId));
  return unpackSpan(packed, span.traceId, origins);
}

const plain: Span = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: '',
  traceState: '',
  flags: 0,
  name: 'chat gpt-4o',
  kind: 1,
  startTimeUnixNano: '1767695400000000000',
  endTimeUnixNano: '1767695400100000000',
  attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: { code: 0, message: '' },
  origin,
};

describe('packed spans', () => {
  it('give back an equal span with the same origin object', () => {
    const back = roundTrip(plain);
    expect(back).toEqual(plain);
    expect(back.origin).toBe(origin);
    expect(Object.keys(back)).toEqual(Object.keys(plain));
  });

  it('keep every kind of value, number and string exactly', () => {
    const span: Span = {
      ...plain,
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'vendor=a,b=c',
      flags: 0x1ff,
      name: 'émoji 🤖 and a lone surrogate \ud800 and latin1 ÿ',
      kind: 5,
      startTimeUnixNano: '18446744073709551615',
      endTimeUnixNano: '0',
      attributes: [
        { key: 's', value: { stringValue: '' } },
        { key: 'long', value: { stringValue: 'x'.repeat(100_000) } },
        { key: 'wide', value: { stringValue: '中文'.repeat(5000) } },
        { key: 'b0', value: { boolValue: false } },
        { key: 'b1', value: { boolValue: true } },
        { key: 'i', value: { intValue: '-9223372036854775808' } },
        { key: 'd', value: { doubleValue: -0 } },
        { key: 'nan', value: { doubleValue: Number.NaN } },
        { key: 'inf', value: { doubleValue: -Infinity } },
        { key: 'frac', value: { doubleValue: 0.1 } },
        { key: 'big', value: { doubleValue: 2 ** 53 + 2 } },
        { key: 'bytes', value: { bytesValue: 'AAEC/w==' } },
        { key: 'empty', value: {} },
        { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, { arrayValue: { values: [] } }, {}] } } },
        { key: 'kv', value: { kvlistValue: { values: [{ key: 'nested', value: { kvlistValue: { values: [] } } }] } } },
      ],
      droppedAttributesCount: 4_294_967_295,
      events: [
        { timeUnixNano: '1767695400050000000', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }], droppedAttributesCount: 2 },
        { timeUnixNano: '1', name: '', attributes: [], droppedAttributesCount: 0 },
      ],
      droppedEventsCount: 3,
      links: [{ traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0000000000000001', traceState: 'k=v', attributes: [{ key: 'l', value: { boolValue: true } }], droppedAttributesCount: 1, flags: 256 }],
      droppedLinksCount: 7,
      status: { code: 2, message: 'failed: ünïcode' },
      origin: other,
    };
    const back = roundTrip(span);
    expect(back).toEqual(span);
    expect(Object.is((back.attributes[6]?.value as { doubleValue: number }).doubleValue, -0)).toBe(true);
    expect(back.name).toBe(span.name);
    expect(back.origin).toBe(other);
  });

  it('keep numbers outside the varint range (negative, fractional, huge)', () => {
    const span: Span = { ...plain, flags: -1, kind: 1.5, droppedEventsCount: 2 ** 40, status: { code: -2, message: '' } };
    expect(roundTrip(span)).toEqual(span);
  });

  it('keep times, ids and names that are not in their usual form as they are', () => {
    const span: Span = {
      ...plain,
      spanId: 'B7AD6B7169203331',
      parentSpanId: 'abc',
      startTimeUnixNano: '0123',
      endTimeUnixNano: '18446744073709551616',
      name: 'n'.repeat(1000),
      attributes: [{ key: 'k'.repeat(200), value: { stringValue: 'v' } }],
      events: [{ timeUnixNano: '', name: 'ünïcode 🤖', attributes: [], droppedAttributesCount: 0 }],
      links: [{ traceId: 'not hex', spanId: '', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }],
    };
    expect(roundTrip(span)).toEqual(span);
    expect(roundTrip({ ...span, endTimeUnixNano: '18446744073709551615', startTimeUnixNano: '0' })).toEqual({ ...span, endTimeUnixNano: '18446744073709551615', startTimeUnixNano: '0' });
  });

  it('give distinct keys to distinct span ids', () => {
    const ids = ['b7ad6b7169203331', 'b7ad6b7169203332', 'B7AD6B7169203331', 'b7ad', ''];
    expect(new Set(ids.map(spanKey)).size).toBe(ids.length);
  });

  it('are much smaller than the JSON of the span', () => {
    const packed = packSpan(plain, 0);
    const json = JSON.stringify({ ...plain, origin: undefined });
    expect(packed.length).toBeLessThan(json.length / 2);
  });

  it('cross to another thread as one transferable batch, decoded with a copy of the name table', async () => {
    const spans: (string | Span)[] = [
      packSpan(plain, 0),
      { ...plain, spanId: '0000000000000002', origin: other },
      packSpan({ ...plain, spanId: '0000000000000003', name: 'a name first seen here', origin: other }, 1),
      packSpan({ ...plain, spanId: '0000000000000004' }, 0),
    ];
    // Only the first three are in this snapshot.
    const batch = packBatch({ spans, count: 3, origins: [origin, other] });
    expect(batch.bytes.buffer).toBeInstanceOf(ArrayBuffer);
    expect(batch.decoded).toEqual([[1, spans[1]]]);
    // What another thread gets: the bytes moved (not copied), the names as plain strings.
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<{ batch: typeof batch; names: string[] }>((resolve) => port2.once('message', resolve));
    port1.postMessage({ batch, names: [...packedNames()] }, [batch.bytes.buffer]);
    const message = await received;
    port1.close();
    expect(batch.bytes.byteLength).toBe(0);
    const origins = [origin, other];
    const back = unpackBatch(message.batch, plain.traceId, origins, message.names);
    expect(back).toEqual([plain, { ...plain, spanId: '0000000000000002', origin: other }, { ...plain, spanId: '0000000000000003', name: 'a name first seen here', origin: other }]);
    expect(back[2]!.origin).toBe(other);
  });
});

describe('packed span views', () => {
  const second: Span = {
    ...plain,
    spanId: '00000000000000a2',
    parentSpanId: 'b7ad6b7169203331',
    name: 'execute_tool shell',
    attributes: [{ key: 'tool', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 0.5 } }] } } }],
    events: [{ timeUnixNano: '1767695400050000000', name: 'exception', attributes: [], droppedAttributesCount: 0 }],
    status: { code: 2, message: 'boom' },
    droppedLinksCount: 2 ** 40,
    origin: other,
  };

  it('read every field as the span had it, whatever order views are read in', () => {
    const views = viewSpans([plain, second]);
    const [a, b] = views as [Span, Span];
    // Reading two views in turn: each gives its own fields.
    expect([a.name, b.name, a.status, b.status, a.origin, b.origin]).toEqual([plain.name, second.name, plain.status, second.status, origin, other]);
    expect(b.droppedLinksCount).toBe(2 ** 40);
    expect(plainSpan(a)).toEqual(plain);
    expect(plainSpan(b)).toEqual(second);
    expect(plainSpan(b).origin).toBe(other);
    // Ids are the view's own fields; the rest are read from the packed bytes.
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['spanId', 'parentSpanId']));
    expect(Object.keys({ ...a })).not.toContain('name');
    expect(plainSpan(plain)).toBe(plain);
  });

  it('read each field alone from the packed bytes, in any order, as the span had it (fast-check)', () => {
    const fields = Object.keys(plain) as (keyof Span)[];
    const traceSpans = fc.array(anySpan(fc.constant(plain.traceId)), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(traceSpans, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...fields)), { maxLength: 40 }), (spans, reads) => {
        const views = viewSpans(spans);
        // Views read in turn, a field at a time, past fields before it of every kind.
        for (const [i, field] of reads) expect(views[i % views.length]![field]).toEqual(spans[i % spans.length]![field]);
        expect(views.map(wholeSpan)).toEqual(spans);
      }),
      { numRuns: 200, seed: 20261203 },
    );
  });

  it('view a transferred batch, spans held decoded kept as they are', () => {
    const decoded = { ...second, origin };
    const batch = packBatch({ spans: [packSpan(plain, 0), decoded, packSpan(second, 1)], count: 3, origins: [origin, other] });
    const views = viewBatch(batch, plain.traceId, [origin, other], packedNames());
    expect(views[1]).toBe(decoded);
    expect(views.map(plainSpan)).toEqual(unpackBatch(batch, plain.traceId, [origin, other], packedNames()));
  });

  it('pack the decoded spans among views and keep the views as they are', () => {
    const [view] = viewSpans([plain]) as [Span];
    const loose = { ...second, traceId: plain.traceId };
    const mixed = viewSpans([view, loose]);
    expect(mixed[0]).toBe(view);
    expect(mixed[1]).not.toBe(loose);
    expect(Object.keys({ ...mixed[1] })).not.toContain('name');
    expect(mixed.map(plainSpan)).toEqual([plain, loose]);
  });

  it('are not made of spans of several traces (those are kept decoded)', () => {
    const mixed = [plain, { ...second, traceId: 'ffffffffffffffffffffffffffffffff' }];
    expect(viewSpans(mixed)).toEqual(mixed);
  });
});
