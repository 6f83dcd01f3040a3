import { trace, context, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

// As the Node SDK does for an agent: the active span follows async calls, so children nest.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** Which real OTLP/HTTP exporter a test sends with. */
export type ExporterKind = 'http-json' | 'http-proto';

/** A real OTel SDK tracer provider exporting to the daemon. */
export interface TestTracing {
  tracer: Tracer;
  provider: BasicTracerProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Builds the real exporter of `kind` pointed at `baseUrl`/v1/traces. */
export function makeExporter(kind: ExporterKind, baseUrl: string): SpanExporter {
  const url = `${baseUrl}/v1/traces`;
  return kind === 'http-json' ? new JsonExporter({ url }) : new ProtoExporter({ url });
}

/**
 * An SDK set up as an agent's would be: a resource with `service.name`, a batch (or simple)
 * span processor and a real OTLP exporter.
 */
export function startTracing(
  kind: ExporterKind,
  baseUrl: string,
  options: { serviceName?: string; batch?: boolean } = {},
): TestTracing {
  const exporter = makeExporter(kind, baseUrl);
  const processor = options.batch === false ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'test-agent-service' }),
    spanProcessors: [processor],
  });
  return {
    tracer: provider.getTracer('paracle-tests', '1.0.0'),
    provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Runs `body` inside a new active span that ends when `body` settles (errors recorded). */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Record<string, string | number | boolean | string[]>,
  body: (span: Span) => Promise<T> | T,
): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), () => body(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
