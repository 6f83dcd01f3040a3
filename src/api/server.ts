import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageVersion, startHttpListener, type HostPort, type HttpListener, type HttpListenerOptions } from '../lib/index.js';
import type { Component } from '../contracts/index.js';
import type { Logger, Metrics } from '../telemetry/index.js';
import { accessRoutes } from './auth.js';
import { jsonContent, openApiDocument } from './openapi.js';
import { sendJson, sendThrown } from './respond.js';
import { Router, type Route, type RouterOptions } from './router.js';
import { runsRoutes, type RunsApiOptions } from './runs-api.js';
import { viewRoutes } from './views-api.js';

/** Options of the HTTP server on `--http`. */
export interface ApiServerOptions {
  address: HostPort;
  /** The `/api/v1` routes; without them only metrics and health are served. */
  runs?: RunsApiOptions;
  /** More routes served from the same table (the web UI's). */
  routes?: readonly Route[];
  /** Connection budget, timeouts and TLS (`daemon.*`). */
  listener?: HttpListenerOptions;
  /** Authorization, audit and allowed hosts; without them every route is open to every host name. */
  router?: RouterOptions;
}

/** The path of the Prometheus endpoint. */
export const METRICS_PATH = '/metrics';

/** What the server asks the daemon about its state. */
export interface Readiness {
  /** True while the daemon takes traffic (started, not shutting down). */
  ready(): boolean;
}

/**
 * The `--http` listener: `/metrics` (Prometheus text or OpenMetrics by `Accept`),
 * `/healthz` (the process is alive), `/readyz` (it takes traffic), the `/api/v1` routes and
 * any others given (the web UI), all dispatched from one route table.
 */
export class ApiServer implements Component {
  private listener: HttpListener | undefined;
  private readonly openApi: string;
  readonly router: Router;

  constructor(
    private readonly options: ApiServerOptions,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const routes = [
      ...this.opsRoutes(),
      ...accessRoutes(),
      ...(options.runs ? [...runsRoutes(options.runs), ...viewRoutes(options.runs)] : []),
      ...(options.routes ?? []),
    ];
    this.router = new Router(routes, options.router);
    // Compiled once: the table does not change while the listener runs.
    this.openApi = JSON.stringify(openApiDocument(routes, { version: packageVersion(), authorized: options.router?.authorize !== undefined }));
  }

  /** The bound address; valid after start(). */
  get address(): HostPort {
    if (!this.listener) throw new Error('HTTP server not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.router.dispatch(req, res).catch((err: unknown) => {
        // The route's template, never the URL: that holds names a client sent, unscrubbed.
        if (sendThrown(res, err)) this.logger.error({ err, method: req.method, route: this.router.routeOf(req) }, 'HTTP request failed');
      });
    };
    this.listener = await startHttpListener(handler, this.options.address, 'the HTTP API', this.options.listener);
  }

  async shutdown(): Promise<void> {
    await this.listener?.close('now');
  }

  private opsRoutes(): Route[] {
    const status = (values: string[]) => jsonContent({ type: 'object', properties: { status: { enum: values } } });
    return [
      {
        methods: ['GET', 'HEAD'],
        path: '/healthz',
        role: null,
        doc: { summary: 'the process is alive', responses: { 200: { description: 'alive', content: status(['ok']) } } },
        handle: async ({ res }) => sendJson(res, 200, { status: 'ok' }),
      },
      {
        methods: ['GET', 'HEAD'],
        path: '/readyz',
        role: null,
        doc: {
          summary: 'the daemon takes traffic (started, not shutting down)',
          responses: {
            200: { description: 'ready', content: status(['ready']) },
            503: { description: 'starting or draining', content: status(['not ready']) },
          },
        },
        handle: async ({ res }) => {
          const ready = this.readiness.ready();
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
        },
      },
      {
        methods: ['GET', 'HEAD'],
        path: METRICS_PATH,
        role: 'viewer',
        doc: {
          summary: 'Prometheus metrics (docs/metrics.md)',
          description: 'Prometheus text, or OpenMetrics when `Accept` asks for `application/openmetrics-text`.',
          responses: { 200: { description: 'the exposition', content: { 'text/plain; version=0.0.4': null, 'application/openmetrics-text; version=1.0.0': null } } },
        },
        handle: ({ req, res }) => this.sendMetrics(req, res),
      },
      {
        methods: ['GET', 'HEAD'],
        path: '/api/v1/openapi.json',
        role: null,
        doc: { summary: 'this document (OpenAPI 3.1)', responses: { 200: { description: 'the document', content: jsonContent({ type: 'object' }) } } },
        handle: async ({ res }) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(this.openApi);
        },
      },
    ];
  }

  private async sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
    const { contentType, body } = await this.metrics.exposition(openMetrics);
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  }
}
