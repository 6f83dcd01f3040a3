import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpListener, type HostPort, type HttpListener } from '../lib/index.js';
import type { Component } from '../contracts/index.js';
import type { Logger, Metrics } from '../telemetry/index.js';
import { sendJson, sendThrown } from './respond.js';
import { Router, type Authorize, type Route } from './router.js';
import { runsRoutes, type RunsApiOptions } from './runs-api.js';

/** Options of the HTTP server on `--http`. */
export interface ApiServerOptions {
  address: HostPort;
  /** The `/api/v1` routes; without them only metrics and health are served. */
  runs?: RunsApiOptions;
  /** Decides whether each request may run its route; without it every route is open. */
  authorize?: Authorize;
}

/** What the server asks the daemon about its state. */
export interface Readiness {
  /** True while the daemon takes traffic (started, not shutting down). */
  ready(): boolean;
}

/**
 * The `--http` listener: `/metrics` (Prometheus text or OpenMetrics by `Accept`),
 * `/healthz` (the process is alive), `/readyz` (it takes traffic) and the `/api/v1` routes,
 * all dispatched from one route table.
 */
export class ApiServer implements Component {
  private listener: HttpListener | undefined;
  readonly router: Router;

  constructor(
    private readonly options: ApiServerOptions,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const routes = [...this.opsRoutes(), ...(options.runs ? runsRoutes(options.runs) : [])];
    this.router = new Router(routes, options.authorize ?? (() => undefined));
  }

  /** The bound address; valid after start(). */
  get address(): HostPort {
    if (!this.listener) throw new Error('HTTP server not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.router.dispatch(req, res).catch((err: unknown) => {
        if (sendThrown(res, err)) this.logger.error({ err, url: req.url }, 'HTTP request failed');
      });
    };
    this.listener = await startHttpListener(handler, this.options.address, 'the HTTP API');
  }

  async shutdown(): Promise<void> {
    await this.listener?.close('now');
  }

  private opsRoutes(): Route[] {
    return [
      { methods: ['GET', 'HEAD'], path: '/healthz', role: null, handle: async ({ res }) => sendJson(res, 200, { status: 'ok' }) },
      {
        methods: ['GET', 'HEAD'],
        path: '/readyz',
        role: null,
        handle: async ({ res }) => {
          const ready = this.readiness.ready();
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
        },
      },
      { methods: ['GET', 'HEAD'], path: '/metrics', role: 'viewer', handle: ({ req, res }) => this.sendMetrics(req, res) },
    ];
  }

  private async sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
    const { contentType, body } = await this.metrics.exposition(openMetrics);
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  }
}
