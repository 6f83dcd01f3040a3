import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces } from '../../../src/codec/otlp/index.js';
import { InvalidInputError } from '../../../src/lib/index.js';
import { jsonBody } from '../../fixtures/codec/sdk-telemetry.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** One span in a minimal request. */
function oneSpan(span: Record<string, unknown>): Uint8Array {
  return jsonBody({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, ...span }] }] }] });
}

function decodeOne(span: Record<string, unknown>) {
  const result = decodeTraces(oneSpan(span), 'json');
  expect(result.rejectionMessage).toBe('');
  const first = result.spans[0];
  if (!first) throw new Error('no span decoded');
  return first;
}

describe('OTLP/JSON as the Collector accepts it', () => {
  it('fills every missing field with its default', () => {
    expect(decodeOne({})).toEqual({
      traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: '', traceState: '', flags: 0, name: '', kind: 0,
      startTimeUnixNano: '0', endTimeUnixNano: '0', attributes: [], droppedAttributesCount: 0,
      events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
      origin: {
        resource: { attributes: [], droppedAttributesCount: 0 }, resourceSchemaUrl: '',
        scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, scopeSchemaUrl: '',
      },
    });
  });

  it('takes null as the default value', () => {
    const span = decodeOne({ name: null, kind: null, status: null, attributes: null, parentSpanId: null, startTimeUnixNano: null });
    expect(span).toMatchObject({ name: '', kind: 0, status: { code: 0, message: '' }, attributes: [], parentSpanId: '', startTimeUnixNano: '0' });
  });

  it('reads 64-bit integers given as strings or as numbers', () => {
    const span = decodeOne({
      startTimeUnixNano: '1767695400000123456',
      endTimeUnixNano: 1767695401000,
      attributes: [
        { key: 'a', value: { intValue: 42 } },
        { key: 'b', value: { intValue: '-9223372036854775808' } },
        { key: 'c', value: { intValue: '007' } },
      ],
      events: [{ timeUnixNano: 5, name: 'e' }],
      droppedAttributesCount: '3',
    });
    expect(span.startTimeUnixNano).toBe('1767695400000123456');
    expect(span.endTimeUnixNano).toBe('1767695401000');
    expect(span.attributes.map((kv) => kv.value)).toEqual([
      { intValue: '42' }, { intValue: '-9223372036854775808' }, { intValue: '7' },
    ]);
    expect(span.events[0]?.timeUnixNano).toBe('5');
    expect(span.droppedAttributesCount).toBe(3);
  });

  it('reads enums as numbers or as their proto names', () => {
    expect(decodeOne({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR', message: 'm' } })).toMatchObject({
      kind: 2, status: { code: 2, message: 'm' },
    });
    expect(decodeOne({ kind: 3, status: { code: 1 } })).toMatchObject({ kind: 3, status: { code: 1 } });
    const logs = decodeLogs(jsonBody({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'SEVERITY_NUMBER_WARN2' }, { severityNumber: 21 }] }] }] }), 'json');
    expect(logs.logs.map((r) => r.severityNumber)).toEqual([14, 21]);
  });

  it('accepts the snake_case field names of the .proto files', () => {
    const body = jsonBody({ resource_spans: [{
      resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }], dropped_attributes_count: 1 },
      schema_url: 'https://r',
      scope_spans: [{
        scope: { name: 's', version: 'v' },
        schema_url: 'https://s',
        spans: [{
          trace_id: TRACE_ID, span_id: SPAN_ID, parent_span_id: 'aaaaaaaaaaaaaaaa', trace_state: 'k=v', name: 'n',
          start_time_unix_nano: '10', end_time_unix_nano: '20', dropped_events_count: 1, dropped_links_count: 2,
          attributes: [
            { key: 'i', value: { int_value: '1' } }, { key: 'd', value: { double_value: 1.5 } },
            { key: 'b', value: { bool_value: false } }, { key: 'y', value: { bytes_value: 'AQI=' } },
            { key: 'a', value: { array_value: { values: [{ string_value: 'x' }] } } },
            { key: 'k', value: { kvlist_value: { values: [{ key: 'z', value: { int_value: 2 } }] } } },
          ],
          events: [{ time_unix_nano: '15', name: 'ev', dropped_attributes_count: 4 }],
          links: [{ trace_id: TRACE_ID, span_id: SPAN_ID, trace_state: 't', dropped_attributes_count: 5 }],
        }],
      }],
    }] });
    const [span] = decodeTraces(body, 'json').spans;
    expect(span).toMatchObject({
      parentSpanId: 'aaaaaaaaaaaaaaaa', traceState: 'k=v', startTimeUnixNano: '10', endTimeUnixNano: '20',
      droppedEventsCount: 1, droppedLinksCount: 2,
      events: [{ timeUnixNano: '15', name: 'ev', droppedAttributesCount: 4 }],
      links: [{ traceId: TRACE_ID, spanId: SPAN_ID, traceState: 't', droppedAttributesCount: 5 }],
      origin: { resourceSchemaUrl: 'https://r', scopeSchemaUrl: 'https://s', resource: { droppedAttributesCount: 1 } },
    });
    expect(span?.attributes.map((kv) => kv.value)).toEqual([
      { intValue: '1' }, { doubleValue: 1.5 }, { boolValue: false }, { bytesValue: 'AQI=' },
      { arrayValue: { values: [{ stringValue: 'x' }] } },
      { kvlistValue: { values: [{ key: 'z', value: { intValue: '2' } }] } },
    ]);
    const logs = decodeLogs(jsonBody({ resource_logs: [{ scope_logs: [{ log_records: [{
      time_unix_nano: '1', observed_time_unix_nano: '2', severity_number: 9, severity_text: 'INFO',
      trace_id: TRACE_ID, span_id: SPAN_ID, event_name: 'e', body: { string_value: 'hi' },
    }] }] }] }), 'json');
    expect(logs.logs[0]).toMatchObject({
      timeUnixNano: '1', observedTimeUnixNano: '2', severityNumber: 9, severityText: 'INFO', traceId: TRACE_ID, spanId: SPAN_ID, eventName: 'e', body: { stringValue: 'hi' },
    });
  });

  it('ignores unknown fields at every level', () => {
    const body = jsonBody({
      future: 1,
      resourceSpans: [{ extra: {}, resource: { entityRefs: [{}] }, scopeSpans: [{ what: [], scope: { x: 1 }, spans: [
        { traceId: TRACE_ID, spanId: SPAN_ID, name: 'n', novel: { deep: true }, status: { reserved: 1 }, attributes: [{ key: 'k', value: { stringValue: 'v', other: 1 }, x: 2 }] },
      ] }] }],
    });
    const [span] = decodeTraces(body, 'json').spans;
    expect(span?.name).toBe('n');
    expect(span?.attributes).toEqual([{ key: 'k', value: { stringValue: 'v' } }]);
  });

  it('normalises upper-case hex ids to lower case', () => {
    const span = decodeOne({ traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID.toUpperCase(), parentSpanId: 'ABCDEF0123456789' });
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: 'abcdef0123456789' });
  });

  it('reads the proto3 JSON spellings of doubles and bytes', () => {
    const span = decodeOne({ attributes: [
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: '-Infinity' } },
      { key: 'text', value: { doubleValue: '2.5' } },
      { key: 'urlsafe', value: { bytesValue: '-_8' } },
      { key: 'empty', value: {} },
      { key: 'missing' },
    ] });
    expect(span.attributes.map((kv) => kv.value)).toEqual([
      { doubleValue: NaN }, { doubleValue: -Infinity }, { doubleValue: 2.5 }, { bytesValue: '+/8=' }, {}, {},
    ]);
  });

  it.each([
    [{ name: 5 }, 'OTLP/JSON field "name" must be a string, got a number'],
    [{ startTimeUnixNano: '-1' }, 'OTLP/JSON field "startTimeUnixNano" must be an unsigned 64-bit integer (a decimal string or a number), got "-1"'],
    [{ startTimeUnixNano: '18446744073709551616' }, 'must be an unsigned 64-bit integer'],
    [{ endTimeUnixNano: 1.5 }, 'must be an unsigned 64-bit integer'],
    [{ endTimeUnixNano: '0x10' }, 'must be an unsigned 64-bit integer'],
    [{ kind: 'SPAN_KIND_NONSENSE' }, 'OTLP/JSON field "kind" must be an enum number or one of SPAN_KIND_UNSPECIFIED'],
    [{ kind: 'constructor' }, 'OTLP/JSON field "kind" must be an enum number'],
    [{ attributes: {} }, 'OTLP/JSON field "attributes" must be an array, got an object'],
    [{ attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] }, 'OTLP/JSON field "intValue" must be a 64-bit integer'],
    [{ attributes: [{ key: 'k', value: { boolValue: 'true' } }] }, 'OTLP/JSON field "boolValue" must be a boolean'],
    [{ flags: -1 }, 'OTLP/JSON field "flags" must be an unsigned 32-bit integer'],
    [{ traceId: 7 }, 'OTLP/JSON field "traceId" must be a string'],
  ])('refuses values of the wrong type: %j', (span, message) => {
    try {
      decodeTraces(oneSpan(span), 'json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toContain(message);
    }
  });
});
