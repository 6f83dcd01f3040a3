import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Wire formats of OTLP/HTTP. */
export type PayloadFormat = 'json' | 'protobuf';

/** Content types of the formats. */
export const CONTENT_TYPES: Record<PayloadFormat, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/**
 * Makes real SDK spans (a root with `childCount` children) without exporting them, so a test
 * can serialize them with the real OTLP serializers and post the bytes itself. `rootLeadMs`:
 * the root starts that long before its children (else in the same millisecond).
 */
export function makeSdkSpans(rootName: string, childCount = 1, attributes: Record<string, string | number> = {}, rootLeadMs = 0): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'payload-maker' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('payloads');
  const root = tracer.startSpan(rootName, { attributes: { 'gen_ai.operation.name': 'invoke_agent', ...attributes }, ...(rootLeadMs > 0 ? { startTime: Date.now() - rootLeadMs } : {}) });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 0; i < childCount; i++) tracer.startSpan(`child ${i}`, {}, parent).end();
  root.end();
  return memory.getFinishedSpans();
}

/** A copy of `span` with another trace/span id, e.g. to make an invalid one. */
export function withContext(span: ReadableSpan, ids: { traceId: string; spanId: string; traceFlags?: number }, parentSpanId?: string): ReadableSpan {
  const spanContext = { traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.traceFlags ?? 1 };
  return Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, {
    spanContext: () => spanContext,
    parentSpanContext: parentSpanId ? { ...spanContext, spanId: parentSpanId } : undefined,
  });
}

/** Serializes spans exactly as the OTel exporters do. */
export function encodeSpans(spans: ReadableSpan[], format: PayloadFormat): Uint8Array {
  const serializer = format === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  const bytes = serializer.serializeRequest(spans);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}

/** A real SDK log record (in `inSpan`'s trace when given), serialized as the OTel logs exporters do. */
export function encodeLogs(format: PayloadFormat, inSpan?: ReadableSpan, body = 'hello'): Uint8Array {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  // A record emitted inside a span carries its trace and span ids, as the SDK's would.
  const context = inSpan ? trace.setSpanContext(ROOT_CONTEXT, inSpan.spanContext()) : ROOT_CONTEXT;
  provider.getLogger('payloads').emit({ severityNumber: SeverityNumber.INFO, body, context });
  const records: ReadableLogRecord[] = memory.getFinishedLogRecords();
  const serializer = format === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  const bytes = serializer.serializeRequest(records);
  if (!bytes) throw new Error('serializer returned nothing');
  return bytes;
}
