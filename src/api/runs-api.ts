import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError, ParacleError, PayloadTooLargeError } from '../lib/index.js';
import { receiveArtifact, type RunFileKey, type RunStore } from '../store/index.js';
import type { MaintenanceJob } from '../model/index.js';
import { maintenanceRequestFrom, runQueryFrom, statsQueryFrom, type MaintenanceRequest } from './query.js';
import { sendJson, sendStream } from './respond.js';

/** Roles of INTERFACE.md §4; `ingest` is separate from the viewer < admin ladder. */
export type ApiRole = 'viewer' | 'analyst' | 'operator' | 'admin' | 'ingest';

/**
 * Decides whether a request may use a route that needs `role`; throws (a ParacleError with
 * code `unauthenticated` or `permission_denied`) to refuse. The default lets everything through.
 */
export type Authorize = (req: IncomingMessage, role: ApiRole) => void;

/** Runs a maintenance job now and answers with its report (the daemon's scheduler). */
export interface MaintenanceRunner {
  run(job: MaintenanceJob, request: MaintenanceRequest): Promise<unknown>;
}

/** What the `/api/v1` routes work with. */
export interface RunsApiOptions {
  store: RunStore;
  /** `POST /api/v1/maintenance/{job}`; without it the route answers 404. */
  maintenance?: MaintenanceRunner;
  /** Largest artifact upload accepted, in bytes. */
  maxArtifactBytes: number;
  authorize?: Authorize;
  now?: () => number;
}

/** A matched request: the method, the decoded path segments after `/api/v1/` and the query. */
interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  parts: string[];
  params: URLSearchParams;
}

const FILE_KEYS: readonly string[] = ['input', 'output', 'trace', 'logs'];
const CONTENT_TYPES: Readonly<Record<RunFileKey, string>> = {
  input: 'application/json',
  output: 'application/json',
  trace: 'application/json',
  logs: 'text/plain; charset=utf-8',
};

/**
 * The `/api/v1` routes of INTERFACE.md §4 for runs, stats and artifact uploads. Resolves
 * false when no route matches the path, so the caller answers 404; a route matched with the
 * wrong method throws a 405 answer of its own.
 */
export class RunsApi {
  private readonly authorize: Authorize;
  private readonly now: () => number;

  constructor(private readonly options: RunsApiOptions) {
    this.authorize = options.authorize ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  /** Handles a request whose raw (still percent-encoded) path starts with `/api/v1/`. */
  async handle(req: IncomingMessage, res: ServerResponse, rawPath: string, params: URLSearchParams): Promise<boolean> {
    const parts = decodeSegments(rawPath.slice('/api/v1/'.length));
    const request: ApiRequest = { req, res, method: req.method ?? 'GET', parts, params };
    const [head, id, sub, ...rest] = parts;
    if (head === 'runs' && id === undefined) return this.get(request, 'viewer', () => this.list(request));
    if (head === 'runs' && id !== undefined) return this.runRoute(request, id, sub, rest);
    if (head === 'stats' && id === undefined) {
      return this.get(request, 'viewer', async () => sendJson(res, 200, this.options.store.stats(statsQueryFrom(params, this.now()))));
    }
    if (head === 'maintenance' && id !== undefined && sub === undefined && this.options.maintenance) {
      const runner = this.options.maintenance;
      return this.only(request, ['POST'], 'admin', async () => {
        const { job, request: asked } = maintenanceRequestFrom(id, params);
        sendJson(res, 200, await runner.run(job, asked));
      });
    }
    if (head === 'traces' && id !== undefined && sub === 'artifacts' && rest.length > 0) {
      return this.only(request, ['PUT'], 'ingest', () => this.upload(request, id, rest.join('/')));
    }
    return false;
  }

  private async runRoute(request: ApiRequest, runId: string, sub: string | undefined, rest: string[]): Promise<boolean> {
    const { store } = this.options;
    const { res } = request;
    if (sub === undefined) return this.get(request, 'viewer', async () => sendJson(res, 200, await store.get(runId)));
    if (sub === 'pin' && rest.length === 0) {
      return this.only(request, ['PUT', 'DELETE'], 'operator', async () =>
        sendJson(res, 200, await store.setPinned(runId, request.method === 'PUT')),
      );
    }
    if (FILE_KEYS.includes(sub) && rest.length === 0) {
      return this.get(request, 'analyst', () => this.sendRunFile(request, runId, sub as RunFileKey));
    }
    if (sub === 'artifacts') return this.get(request, 'analyst', () => this.sendArtifacts(request, runId, rest));
    if (sub === 'steps' && rest.length >= 2) {
      const [stepId = '', what = '', ...path] = rest;
      if ((what === 'input' || what === 'output') && path.length === 0) {
        return this.get(request, 'analyst', () => this.sendRunFile(request, runId, what, stepId));
      }
      if (what === 'artifacts') return this.get(request, 'analyst', () => this.sendArtifacts(request, runId, path, stepId));
    }
    return false;
  }

  private async list({ res, params }: ApiRequest): Promise<void> {
    const page = this.options.store.list(runQueryFrom(params, this.now()));
    sendJson(res, 200, { runs: page.runs, next_cursor: page.nextCursor });
  }

  private async sendRunFile({ res }: ApiRequest, runId: string, key: RunFileKey, stepId?: string): Promise<void> {
    await sendStream(res, await this.options.store.openFile(runId, key, stepId), CONTENT_TYPES[key]);
  }

  private async sendArtifacts({ res }: ApiRequest, runId: string, path: string[], stepId?: string): Promise<void> {
    const { store } = this.options;
    if (path.length === 0) return sendJson(res, 200, { run_id: runId, artifacts: await store.artifacts(runId, stepId) });
    await sendStream(res, await store.openArtifact(runId, path.join('/'), stepId), 'application/octet-stream');
  }

  private async upload({ req, res }: ApiRequest, traceId: string, name: string): Promise<void> {
    const { store, maxArtifactBytes } = this.options;
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    // Refused before reading: the client learns at once instead of after sending it all.
    if (declared > maxArtifactBytes) throw new PayloadTooLargeError(maxArtifactBytes);
    const result = await receiveArtifact(store.runsDir, store.catalog, { traceId, name, body: req, maxBytes: maxArtifactBytes });
    sendJson(res, 201, result);
  }

  private get(request: ApiRequest, role: ApiRole, run: () => Promise<void>): Promise<boolean> {
    return this.only(request, ['GET', 'HEAD'], role, run);
  }

  private async only(request: ApiRequest, methods: string[], role: ApiRole, run: () => Promise<void>): Promise<boolean> {
    if (!methods.includes(request.method)) {
      request.res.setHeader('Allow', methods.join(', '));
      throw new MethodNotAllowedError(request.method);
    }
    this.authorize(request.req, role);
    if (request.method !== 'PUT') request.req.resume();
    await run();
    return true;
  }
}

/** The route exists but not for this method (HTTP 405). */
export class MethodNotAllowedError extends ParacleError {
  constructor(method: string) {
    super('method_not_allowed', `method ${method} is not allowed here`);
  }
}

/** Path segments, each percent-decoded; `%2e%2e` becomes `..` and is refused later, never resolved. */
function decodeSegments(path: string): string[] {
  try {
    return path.split('/').filter((part, index, all) => part !== '' || index < all.length - 1).map(decodeURIComponent);
  } catch {
    throw new InvalidInputError('the path is not valid percent-encoding');
  }
}
