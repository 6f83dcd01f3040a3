import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpListener, type HostPort, type HttpListener } from '../lib/index.js';
import type { Component } from '../contracts/index.js';
import type { Logger, Metrics } from '../telemetry/index.js';
import { sendError, sendJson, sendThrown } from './respond.js';
import { RunsApi, type RunsApiOptions } from './runs-api.js';

/** Options of the HTTP server on `--http`. */
export interface ApiServerOptions {
  address: HostPort;
  /** The `/api/v1` routes; without them only metrics and health are served. */
  runs?: RunsApiOptions;
}

/** What the server asks the daemon about its state. */
export interface Readiness {
  /** True while the daemon takes traffic (started, not shutting down). */
  ready(): boolean;
}

/**
 * The `--http` listener: `/metrics` (Prometheus text or OpenMetrics by `Accept`),
 * `/healthz` (the process is alive), `/readyz` (it takes traffic) and the `/api/v1` routes.
 */
export class ApiServer implements Component {
  private listener: HttpListener | undefined;
  private readonly runsApi: RunsApi | null;

  constructor(
    private readonly options: ApiServerOptions,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.runsApi = options.runs ? new RunsApi(options.runs) : null;
  }

  /** The bound address; valid after start(). */
  get address(): HostPort {
    if (!this.listener) throw new Error('HTTP server not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.route(req, res).catch((err: unknown) => {
        if (sendThrown(res, err)) this.logger.error({ err, url: req.url }, 'HTTP request failed');
      });
    };
    this.listener = await startHttpListener(handler, this.options.address, 'the HTTP API');
  }

  async shutdown(): Promise<void> {
    await this.listener?.close('now');
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The raw path, not URL's: URL would resolve `..` and `%2e%2e`, which the API must refuse.
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    // The API reads request bodies (uploads) itself; every other route ignores them.
    if (this.runsApi && path.startsWith('/api/v1/') && (await this.runsApi.handle(req, res, path, new URLSearchParams(query)))) return;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, 405, 'method_not_allowed', `method ${req.method ?? ''} is not allowed on ${path}`);
    }
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const ready = this.readiness.ready();
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    }
    if (path === '/metrics') return this.sendMetrics(req, res);
    sendError(res, 404, 'not_found', `no route for ${path}`);
  }

  private async sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
    const { contentType, body } = await this.metrics.exposition(openMetrics);
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  }
}
