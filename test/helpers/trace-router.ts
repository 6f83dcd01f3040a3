import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the OpenTelemetry Collector's `loadbalancing` exporter with `routing_key: traceID`
 * does in front of N replicas, for tests: takes OTLP/HTTP JSON trace requests, splits each
 * by trace id (a hash of it picks the backend), forwards every part, and answers 200 only
 * when every backend took its part; otherwise the first failure (503 when a backend is out
 * of reach), so the sender retries and nothing unacknowledged counts as sent.
 */
export interface TraceRouter {
  /** Base URL senders post `/v1/traces` to. */
  url: string;
  /** The backends' OTLP/HTTP base URLs; replace one when its daemon restarts elsewhere. */
  backends: string[];
  /** The backend index a trace id goes to. */
  backendOf(traceId: string): number;
  close(): Promise<void>;
}

interface JsonSpan {
  traceId: string;
}
interface JsonScopeSpans {
  spans?: JsonSpan[];
}
interface JsonResourceSpans {
  scopeSpans?: JsonScopeSpans[];
}
interface JsonRequest {
  resourceSpans?: JsonResourceSpans[];
}

/** Starts the router on a free loopback port in front of `backends`. */
export async function startTraceRouter(backends: string[]): Promise<TraceRouter> {
  const targets = [...backends];
  const backendOf = (traceId: string): number => createHash('sha256').update(traceId.toLowerCase()).digest()[0]! % targets.length;
  const server: Server = createServer((req, res) => {
    void route(req, targets, backendOf).then(
      ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
      (err: unknown) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err) })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    backends: targets,
    backendOf,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function route(req: IncomingMessage, targets: string[], backendOf: (traceId: string) => number): Promise<{ status: number; body: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
    return { status: 415, body: JSON.stringify({ message: 'this router takes OTLP/HTTP JSON traces' }) };
  }
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRequest;
  // One request per backend, each keeping the resource and scope of its spans.
  const parts = targets.map(() => ({ resourceSpans: [] as JsonResourceSpans[] }));
  for (const resource of request.resourceSpans ?? []) {
    const perBackend = targets.map(() => ({ ...resource, scopeSpans: [] as JsonScopeSpans[] }));
    for (const scope of resource.scopeSpans ?? []) {
      const perScope = targets.map(() => ({ ...scope, spans: [] as JsonSpan[] }));
      for (const span of scope.spans ?? []) perScope[backendOf(span.traceId)]!.spans.push(span);
      perScope.forEach((part, i) => part.spans.length > 0 && perBackend[i]!.scopeSpans.push(part));
    }
    perBackend.forEach((part, i) => part.scopeSpans.length > 0 && parts[i]!.resourceSpans.push(part));
  }
  const answers = await Promise.all(
    parts.map(async (part, i) => {
      if (part.resourceSpans.length === 0) return 200;
      try {
        const response = await fetch(`${targets[i]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(part) });
        await response.arrayBuffer();
        return response.status;
      } catch {
        return 503;
      }
    }),
  );
  const failed = answers.find((status) => status < 200 || status > 299);
  return failed === undefined ? { status: 200, body: '{}' } : { status: failed, body: JSON.stringify({ message: `a backend answered ${failed}` }) };
}
