import { context, defaultTextMapGetter, ROOT_CONTEXT, trace, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Options of {@link init}. */
export interface InitOptions {
  /** `service.name` of the agent's telemetry. */
  serviceName: string;
  /**
   * The daemon's OTLP/HTTP base URL (e.g. `http://127.0.0.1:4318`), used when neither
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` nor `OTEL_EXPORTER_OTLP_ENDPOINT` is set: in a
   * replay the daemon sets the latter, and it wins. Default: the exporter's own
   * (`http://localhost:4318`).
   */
  endpoint?: string;
}

/** The package's name as instrumentation scope. */
const SCOPE = 'paracle/sdk';

let sdk: NodeSDK | null = null;
let replayParent: Context | null = null;

/**
 * Starts `@opentelemetry/sdk-node` exporting spans with `@opentelemetry/exporter-trace-otlp-http`
 * to the daemon. Everything `OTEL_EXPORTER_OTLP_*` says is honoured (endpoint, headers,
 * timeout, compression) and so is `TRACEPARENT`: the runs started while no span is active
 * become children of the span it names, which is how a replayed agent joins the trace the
 * daemon made for it. No metrics are exported (the daemon takes none). Calling it again does
 * nothing until {@link shutdown}.
 */
export function init(options: InitOptions): void {
  if (sdk !== null) return;
  const env = process.env;
  const configured = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = !configured && options.endpoint ? `${options.endpoint.replace(/\/+$/, '')}/v1/traces` : undefined;
  sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: new OTLPTraceExporter(url === undefined ? {} : { url }),
    metricReaders: [],
    instrumentations: [],
  });
  sdk.start();
  replayParent = parentFrom(env.TRACEPARENT);
}

/**
 * Sends what was not sent yet and stops the SDK. Never rejects: an agent does not fail
 * because the daemon is unreachable; that is said in one line on stderr instead.
 */
export async function shutdown(): Promise<void> {
  const running = sdk;
  sdk = null;
  replayParent = null;
  try {
    await running?.shutdown();
  } catch (err) {
    process.stderr.write(`paracle/sdk: telemetry could not be sent: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** The tracer the SDK's spans come from. */
export function tracer(): Tracer {
  return trace.getTracer(SCOPE);
}

/**
 * Where a new span goes: under the active span; with none, under the span `TRACEPARENT`
 * named when {@link init} ran (a replay's parent); else a new trace.
 */
export function parentContext(): Context {
  const active = context.active();
  return trace.getSpan(active) === undefined && replayParent !== null ? replayParent : active;
}

function parentFrom(traceparent: string | undefined): Context | null {
  if (!traceparent) return null;
  const extracted = new W3CTraceContextPropagator().extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
  return trace.getSpan(extracted) === undefined ? null : extracted;
}
