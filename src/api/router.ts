import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError, MethodNotAllowedError, NotFoundError } from '../lib/index.js';
import type { RouteDoc } from './openapi.js';

/** Roles of INTERFACE.md §4: viewer < analyst < operator < admin; `ingest` is apart. */
export type ApiRole = 'viewer' | 'analyst' | 'operator' | 'admin' | 'ingest';

/** HTTP methods the API serves. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** One matched request, as a handler gets it. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: HttpMethod;
  /** The route's `{name}` parameters, percent-decoded; a `{name*}` tail is its segments joined by `/`. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
}

/**
 * One route of the `--http` listener. The table of routes is the API: the router
 * dispatches from it, the authorization hook reads each route's role from it, and the
 * OpenAPI document is checked against it.
 */
export interface Route {
  methods: readonly HttpMethod[];
  /**
   * The path with `{name}` for one segment and a final `{name*}` for one or more (e.g.
   * `/api/v1/runs/{run_id}/artifacts/{path*}`).
   */
  path: string;
  /** The role a token needs; null: none (health, the UI's assets). */
  role: ApiRole | null;
  /**
   * The path parameter naming the run the route reads or changes, when it does: a token
   * scoped to some agents or workflows gets 404 for runs outside its scope.
   */
  runParam?: string;
  /** True when the handler reads the request body itself (uploads); others are drained. */
  readsBody?: boolean;
  /** What the OpenAPI document (`GET /api/v1/openapi.json`) says of the route. */
  doc: RouteDoc;
  handle(request: RouteRequest): Promise<void>;
}

/**
 * Decides whether a matched request may run: throws a ParacleError (`unauthenticated`,
 * `permission_denied`, `not_found` for a run out of scope) to refuse. Called once per
 * request, before its handler, for every route.
 */
export type Authorize = (request: RouteRequest, route: Route) => Promise<void> | void;

/** A route with its path split once into segments. */
interface CompiledRoute {
  route: Route;
  segments: readonly string[];
}

/**
 * Matches requests against the route table and runs the one that applies: 404 when no
 * route has the path, 405 (with `Allow`) when none has the method, else the authorization
 * hook and then the handler. Paths are matched on their raw (still percent-encoded)
 * segments and decoded after, so an encoded `/` or `..` never changes which route applies.
 */
export class Router {
  private readonly compiled: CompiledRoute[];
  /** The route each request in progress matched, for {@link routeOf}. */
  private readonly matched = new WeakMap<IncomingMessage, Route>();

  constructor(
    readonly routes: readonly Route[],
    private readonly authorize: Authorize,
  ) {
    this.compiled = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  }

  async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The raw path, not URL's: URL would resolve `..` and `%2e%2e`, which the API must refuse.
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const method = (req.method ?? 'GET') as HttpMethod;
    const raw = path.split('/').slice(1);
    // `/api/v1/runs/` is `/api/v1/runs`.
    if (raw.length > 1 && raw.at(-1) === '') raw.pop();
    let allowed: HttpMethod[] = [];
    for (const { route, segments } of this.compiled) {
      const params = match(segments, raw);
      if (!params) continue;
      if (!route.methods.includes(method)) {
        allowed = [...allowed, ...route.methods];
        continue;
      }
      this.matched.set(req, route);
      const request: RouteRequest = { req, res, method, params, query: new URLSearchParams(query) };
      if (!route.readsBody) req.resume();
      await this.authorize(request, route);
      return route.handle(request);
    }
    req.resume();
    if (allowed.length > 0) {
      const methods = [...new Set(allowed)];
      res.setHeader('Allow', methods.join(', '));
      throw new MethodNotAllowedError(method, methods);
    }
    throw new NotFoundError(`no route for ${path}`);
  }

  /**
   * The path template of the route `req` matched (`/api/v1/traces/{trace_id}/artifacts/{name*}`),
   * or null when none did: what a log line may say of a request, its URL holding what a
   * client sent (an upload's name) unscrubbed.
   */
  routeOf(req: IncomingMessage): string | null {
    return this.matched.get(req)?.path ?? null;
  }
}

/** The parameters of `raw` against a route's `segments`, or null when the path does not fit. */
function match(segments: readonly string[], raw: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = segments[i]!;
    const tail = /^\{(\w+)\*\}$/.exec(pattern);
    if (tail) {
      const rest = raw.slice(i);
      if (rest.length === 0 || rest.some((s) => s === '')) return null;
      params[tail[1]!] = rest.map(decode).join('/');
      return params;
    }
    const value = raw[i];
    if (value === undefined) return null;
    const name = /^\{(\w+)\}$/.exec(pattern)?.[1];
    if (name) {
      if (value === '') return null;
      params[name] = decode(value);
    } else if (value !== pattern) return null;
  }
  return raw.length === segments.length ? params : null;
}

/** One path segment, percent-decoded; `%2e%2e` becomes `..` and is refused later, never resolved. */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidInputError('the path is not valid percent-encoding');
  }
}
