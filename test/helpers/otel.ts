import { trace, context, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { credentials, Metadata } from '@grpc/grpc-js';

// As the Node SDK does for an agent: the active span follows async calls, so children nest.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** Which real OTLP exporter a test sends with. */
export type ExporterKind = 'http-json' | 'http-proto' | 'grpc';

/** A real OTel SDK tracer provider exporting to the daemon. */
export interface TestTracing {
  tracer: Tracer;
  provider: BasicTracerProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A credential and TLS trust for an exporter, set through the exporters' own options. */
export interface ExporterAuth {
  /** Sent as `Authorization: Bearer` (HTTP headers, gRPC metadata). */
  token?: string;
  /** For https:// URLs: the CA to trust, and a client certificate for mutual TLS. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

/** The exporters' options for `auth`: HTTP headers and agent options, or gRPC metadata and credentials. */
function exporterOptions(kind: ExporterKind, auth: ExporterAuth): Record<string, unknown> {
  const { token, tls } = auth;
  if (kind === 'grpc') {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return { metadata, ...(tls ? { credentials: credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null) } : {}) };
  }
  return { ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}), ...(tls ? { httpAgentOptions: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}) };
}

/**
 * Builds the real span exporter of `kind`: the HTTP ones post to `baseUrl`/v1/traces, the
 * gRPC one calls `baseUrl` (the daemon's OTLP/gRPC address as http://HOST:PORT, or https://).
 */
export function makeExporter(kind: ExporterKind, baseUrl: string, auth: ExporterAuth = {}): SpanExporter {
  const options = exporterOptions(kind, auth);
  if (kind === 'grpc') return new GrpcExporter({ url: baseUrl, ...options });
  const url = `${baseUrl}/v1/traces`;
  return kind === 'http-json' ? new JsonExporter({ url, ...options }) : new ProtoExporter({ url, ...options });
}

/** Builds the real log record exporter of `kind`, addressed like {@link makeExporter}. */
export function makeLogExporter(kind: ExporterKind, baseUrl: string, auth: ExporterAuth = {}): LogRecordExporter {
  const options = exporterOptions(kind, auth);
  if (kind === 'grpc') return new GrpcLogExporter({ url: baseUrl, ...options });
  const url = `${baseUrl}/v1/logs`;
  return kind === 'http-json' ? new JsonLogExporter({ url, ...options }) : new ProtoLogExporter({ url, ...options });
}

/**
 * Exports one finished agent run (a root `invoke_agent` span of `agentId`) through the real
 * exporter of `kind` and resolves with the exporter's own result: code 0 when the daemon
 * took it; else its error (`code`: the HTTP status, or the gRPC status code).
 */
export async function exportOneRun(kind: ExporterKind, baseUrl: string, agentId: string, auth: ExporterAuth = {}): Promise<{ code: number; error?: Error & { code?: number } }> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'auth-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  provider.getTracer('auth-test').startSpan('invoke_agent', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': agentId } }).end();
  const exporter = makeExporter(kind, baseUrl, auth);
  try {
    return await new Promise((resolve) => exporter.export(memory.getFinishedSpans(), (result) => resolve(result as { code: number; error?: Error & { code?: number } })));
  } finally {
    await exporter.shutdown();
    await provider.shutdown();
  }
}

/** A real OTel SDK logger provider exporting to the daemon. */
export interface TestLogging {
  logger: Logger;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Logs as an agent's SDK would: a batch processor and a real OTLP exporter. Records emitted
 * while a span is active carry its trace and span ids.
 */
export function startLogging(kind: ExporterKind, baseUrl: string, serviceName = 'test-agent-service'): TestLogging {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    processors: [new BatchLogRecordProcessor({ exporter: makeLogExporter(kind, baseUrl), scheduledDelayMillis: 50 })],
  });
  return {
    logger: provider.getLogger('paracle-tests', '1.0.0'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * An SDK set up as an agent's would be: a resource with `service.name`, a batch (or simple)
 * span processor and a real OTLP exporter.
 */
export function startTracing(
  kind: ExporterKind,
  baseUrl: string,
  options: { serviceName?: string; batch?: boolean; maxQueueSize?: number } = {},
): TestTracing {
  const exporter = makeExporter(kind, baseUrl);
  // A queue larger than the SDK's 2048 lets a test emit a big trace at once without drops.
  const queue = options.maxQueueSize === undefined ? {} : { maxQueueSize: options.maxQueueSize, maxExportBatchSize: 2048 };
  const processor = options.batch === false ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50, ...queue });
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
