import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces } from '../../../src/codec/otlp/index.js';
import type { Span } from '../../../src/model/index.js';
import { at, nanos, sdkLimitedSpan, sdkLogs, sdkSpans, serializeLogs, serializeSpans } from '../../fixtures/codec/sdk-telemetry.js';

const sdk = sdkSpans();
const decoded = {
  protobuf: decodeTraces(serializeSpans(sdk, 'protobuf'), 'protobuf'),
  json: decodeTraces(serializeSpans(sdk, 'json'), 'json'),
};

function byName(spans: Span[], name: string): Span {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span;
}

describe('decodeTraces on real OpenTelemetry SDK exports', () => {
  it('gives identical spans from the protobuf and the JSON serializer', () => {
    expect(decoded.protobuf.spans).toHaveLength(3);
    expect(decoded.json.spans).toEqual(decoded.protobuf.spans);
    expect(decoded.json.truncated).toEqual({});
    expect(decoded.protobuf.rejectedSpans).toBe(0);
    expect(decoded.protobuf.rejectionMessage).toBe('');
  });

  it.each(['protobuf', 'json'] as const)('keeps ids, parents and nanosecond times exactly (%s)', (format) => {
    const spans = decoded[format].spans;
    for (const s of sdk) {
      const span = byName(spans, s.name);
      expect(span.traceId).toBe(s.spanContext().traceId);
      expect(span.spanId).toBe(s.spanContext().spanId);
      expect(span.parentSpanId).toBe(s.parentSpanContext?.spanId ?? '');
      expect(span.startTimeUnixNano).toBe(nanos(s.startTime));
      expect(span.endTimeUnixNano).toBe(nanos(s.endTime));
      expect(span.flags & 0xff).toBe(1);
    }
    expect(byName(spans, 'invoke_agent coder').startTimeUnixNano).toBe('1767695400000123456');
  });

  it.each(['protobuf', 'json'] as const)('types attribute values as OTLP does (%s)', (format) => {
    const root = byName(decoded[format].spans, 'invoke_agent coder');
    const attrs = Object.fromEntries(root.attributes.map((kv) => [kv.key, kv.value]));
    expect(attrs).toEqual({
      'gen_ai.agent.id': { stringValue: 'coder' },
      'gen_ai.usage.input_tokens': { intValue: '1800' },
      'gen_ai.request.temperature': { doubleValue: 0.7 },
      'paracle.run.root': { boolValue: true },
      'paracle.tags': { arrayValue: { values: [{ stringValue: 'x' }, { stringValue: 'y' }] } },
      'paracle.numbers': { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } },
      'paracle.flags': { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } },
      'big.int': { intValue: '9007199254740991' },
      'negative.int': { intValue: '-5' },
    });
    expect(root.kind).toBe(2);
  });

  it.each(['protobuf', 'json'] as const)('carries events, links, status and origin (%s)', (format) => {
    const spans = decoded[format].spans;
    const llm = byName(spans, 'chat gpt-4');
    const root = byName(spans, 'invoke_agent coder');
    expect(llm.kind).toBe(3);
    expect(llm.events).toEqual([{
      timeUnixNano: nanos(at(11)),
      name: 'gen_ai.content.prompt',
      attributes: [{ key: 'gen_ai.prompt', value: { stringValue: 'hello' } }],
      droppedAttributesCount: 0,
    }]);
    expect(llm.links).toEqual([expect.objectContaining({
      traceId: root.traceId,
      spanId: root.spanId,
      attributes: [{ key: 'link.reason', value: { stringValue: 'follows' } }],
    })]);
    const tool = byName(spans, 'execute_tool shell');
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool failed' });
    expect(tool.events[0]?.name).toBe('exception');
    expect(tool.events[0]?.timeUnixNano).toBe(nanos(at(650)));
    expect(root.origin).toBe(llm.origin);
    expect(root.origin.scope).toEqual({ name: 'paracle-test', version: '1.2.3', attributes: [], droppedAttributesCount: 0 });
    expect(root.origin.scopeSchemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
    expect(root.origin.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'coder-service' } },
      { key: 'service.instance.id', value: { intValue: '42' } },
      { key: 'deployment.ratio', value: { doubleValue: 0.25 } },
      { key: 'feature.enabled', value: { boolValue: true } },
      { key: 'host.tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
    ]);
  });
});

describe('decodeTraces on the less common span fields', () => {
  const limited = [...sdkSpans(), sdkLimitedSpan()];
  const fromProtobuf = decodeTraces(serializeSpans(limited, 'protobuf'), 'protobuf');
  const fromJson = decodeTraces(serializeSpans(limited, 'json'), 'json');

  it('reads trace state, dropped counts, remote-parent flags and several resources alike in both formats', () => {
    expect(fromJson.spans).toEqual(fromProtobuf.spans);
    const span = byName(fromProtobuf.spans, 'limited');
    expect(span).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'vendor=value',
      flags: 0x301,
      droppedAttributesCount: 2,
      droppedEventsCount: 1,
      droppedLinksCount: 1,
      links: [{ traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '10f067aa0ba902b7', flags: 0x100 }],
    });
    expect(span.origin.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'limited' } }]);
    expect(byName(fromProtobuf.spans, 'chat gpt-4').origin).not.toBe(span.origin);
  });
});

describe('decodeLogs on real OpenTelemetry SDK exports', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';
  const records = sdkLogs(traceId, spanId);
  const fromProtobuf = decodeLogs(serializeLogs(records, 'protobuf'), 'protobuf');
  const fromJson = decodeLogs(serializeLogs(records, 'json'), 'json');

  it('gives identical records from the protobuf and the JSON serializer', () => {
    expect(fromProtobuf.logs).toHaveLength(2);
    expect(fromJson.logs).toEqual(fromProtobuf.logs);
    expect(fromProtobuf.rejectedLogRecords).toBe(0);
  });

  it('keeps trace context, times, severity and a structured body with bytes', () => {
    const [first, second] = fromProtobuf.logs;
    expect(first).toMatchObject({
      timeUnixNano: nanos(at(5)),
      observedTimeUnixNano: nanos(at(6)),
      severityNumber: 9,
      severityText: 'INFO',
      traceId,
      spanId,
      flags: 1,
      attributes: [
        { key: 'log.kind', value: { stringValue: 'agent' } },
        { key: 'attempt', value: { intValue: '2' } },
      ],
      body: {
        kvlistValue: {
          values: [
            { key: 'message', value: { stringValue: 'started' } },
            { key: 'count', value: { intValue: '3' } },
            { key: 'ratio', value: { doubleValue: 0.5 } },
            { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
            { key: 'nested', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
          ],
        },
      },
    });
    expect(second).toMatchObject({ eventName: 'agent.failure', severityNumber: 17, traceId: '', spanId: '', body: { stringValue: 'failed' } });
    expect(first?.origin.scope.name).toBe('paracle-logs');
    expect(first?.origin.resource.attributes[0]).toEqual({ key: 'service.name', value: { stringValue: 'coder-service' } });
  });
});
