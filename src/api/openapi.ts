import { ERROR_CATALOGUE } from '../lib/index.js';
import type { Route } from './router.js';

/** A JSON Schema (OpenAPI 3.1 uses draft 2020-12), as plain data. */
export type SchemaObject = { readonly [key: string]: unknown };

/** The body of one answer or request: media type -> schema (null: any bytes of that type). */
export type ContentDoc = Readonly<Record<string, SchemaObject | null>>;

/** One answer a route gives. */
export interface ResponseDoc {
  description: string;
  content?: ContentDoc;
  /** Response headers: name -> what it says. */
  headers?: Readonly<Record<string, string>>;
}

/** One query parameter. */
export interface QueryDoc {
  description: string;
  /** Strings unless said otherwise. */
  schema?: SchemaObject;
}

/**
 * What the OpenAPI document (`GET /api/v1/openapi.json`) says of a route; every Route has
 * one. Path parameters, the role (`x-paracle-role`, bearer auth) and the error answers every
 * route shares (401/403 with a role, 400/404 with path parameters) are derived from the
 * route itself: `doc` gives only what the route alone knows.
 */
export interface RouteDoc {
  /** One line: what the route is for. */
  summary: string;
  description?: string;
  /** Path parameters not in {@link PATH_PARAMS}: name -> meaning. */
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, QueryDoc>>;
  /** The request body, for routes that read one. */
  body?: { description: string; content: ContentDoc };
  /** Its answers by status, the successful ones and any error of its own (409, 413...). */
  responses: Readonly<Record<number, ResponseDoc>>;
}

/** Path parameters shared by many routes, so each route need not say what they are. */
export const PATH_PARAMS: Readonly<Record<string, string>> = {
  run_id: "a run's id (a ULID)",
  step_id: "a workflow step's id",
  trace_id: 'a trace id, 32 lowercase hex characters',
  path: 'a path relative to the folder, one or more segments (no `..`, not absolute)',
};

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

/** Answers with `schema` as JSON. */
export const jsonContent = (schema: SchemaObject | string): ContentDoc => ({
  'application/json': typeof schema === 'string' ? ref(schema) : schema,
});

const errorResponse = (description: string): ResponseDoc => ({ description, content: jsonContent('Error') });

// Schemas the routes refer to by name (`jsonContent('RunsPage')`).
const SCHEMAS: Readonly<Record<string, SchemaObject>> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { enum: Object.keys(ERROR_CATALOGUE), description: 'stable, machine-readable' },
          message: { type: 'string', description: 'one sentence for a person' },
        },
      },
    },
  },
  RunMetadata: {
    type: 'object',
    description: "A run's metadata.yaml as JSON: every field of docs/store.md (agent and workflow runs differ).",
    required: ['run_id', 'kind', 'status', 'trace_id'],
    properties: {
      run_id: { type: 'string' },
      kind: { enum: ['agent', 'workflow'] },
      status: { enum: ['pending', 'running', 'completed', 'failed'] },
      trace_id: { type: 'string' },
      started_at: { type: ['string', 'null'], format: 'date-time' },
      completed_at: { type: ['string', 'null'], format: 'date-time' },
    },
    additionalProperties: true,
  },
  FileEntry: {
    type: 'object',
    required: ['path', 'size'],
    properties: {
      path: { type: 'string', description: 'POSIX path relative to the folder listed' },
      size: { type: 'integer', description: 'bytes as written (a compressed file reports its original size)' },
      compressed: { const: true, description: 'stored gzip-compressed; readers get it inflated' },
    },
  },
  RunDetail: {
    allOf: [
      ref('RunMetadata'),
      {
        type: 'object',
        required: ['pinned', 'place', 'files'],
        properties: {
          pinned: { type: 'boolean' },
          place: { enum: ['live', 'archive'] },
          files: { type: 'array', items: ref('FileEntry') },
        },
      },
    ],
  },
};

/** How the listener checks requests, which decides what the document promises about roles. */
export interface OpenApiOptions {
  /** The package version. */
  version: string;
  /** True when an authorization hook checks each route's role (401/403 exist). */
  authorized: boolean;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE']);

/** What every route with this role, method or these path parameters may answer besides its own. */
function sharedResponses(route: Route, method: string, hasParams: boolean, authorized: boolean): Record<string, ResponseDoc> {
  const shared: Record<string, ResponseDoc> = {};
  const changes = STATE_CHANGING.has(method);
  if (hasParams) shared['400'] = errorResponse('a path parameter is not valid (a bad id, `..`, an absolute path)');
  if (authorized && route.role !== null) {
    shared['401'] = errorResponse('no token, or one that is not configured (`WWW-Authenticate: Bearer`)');
  }
  // Browser safety (docs/access.md) applies with or without tokens.
  const refusals = [
    ...(authorized && route.role !== null ? [`the token's role is below ${route.role}`] : []),
    'the `Host` is not an IP address, `localhost` or one of `daemon.allowed_hosts`',
    ...(changes ? ["an `Origin` other than the daemon's own"] : []),
  ];
  shared['403'] = errorResponse(refusals.join('; or '));
  if (changes) shared['415'] = errorResponse('a body type other than `application/json` or `application/octet-stream`');
  if (route.runParam) shared['404'] = errorResponse(authorized ? "no such run (or file), or a run outside the token's agents/workflows scope" : 'no such run (or file)');
  shared.default = errorResponse('any other error: 500, or 503 with Retry-After while the daemon sheds load');
  return shared;
}

/** The OpenAPI operation of `route` for one method. */
function operation(route: Route, method: string, authorized: boolean): Record<string, unknown> {
  const { doc } = route;
  const names = [...route.path.matchAll(/\{(\w+)\*?\}/g)].map((m) => m[1]!);
  const parameters = [
    ...names.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: doc.params?.[name] ?? PATH_PARAMS[name] ?? '',
      schema: { type: 'string' },
    })),
    ...Object.entries(doc.query ?? {}).map(([name, q]) => ({ name, in: 'query', description: q.description, schema: q.schema ?? { type: 'string' } })),
  ];
  const responses = Object.fromEntries(
    Object.entries<ResponseDoc>({ ...sharedResponses(route, method, names.length > 0, authorized), ...doc.responses }).map(([status, answer]) => [
      status,
      responseObject(answer, method === 'HEAD'),
    ]),
  );
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    operationId: `${method.toLowerCase()}${route.path.replace(/\{(\w+)\*?\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body && method !== 'HEAD' ? { requestBody: { required: true, description: doc.body.description, content: mediaTypes(doc.body.content) } } : {}),
    responses,
    ...(authorized ? { security: route.role === null ? [] : [{ bearer: [] }] } : {}),
    'x-paracle-role': route.role ?? 'none',
  };
}

function responseObject(answer: ResponseDoc, head: boolean): Record<string, unknown> {
  const headers = answer.headers
    ? Object.fromEntries(Object.entries(answer.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]))
    : undefined;
  return {
    description: answer.description,
    ...(headers ? { headers } : {}),
    ...(answer.content && !head ? { content: mediaTypes(answer.content) } : {}),
  };
}

const mediaTypes = (content: ContentDoc): Record<string, unknown> =>
  Object.fromEntries(Object.entries(content).map(([type, schema]) => [type, schema ? { schema } : {}]));

/** The OpenAPI path of a route's template: `{path*}` is `{path}` (OpenAPI has no tail parameter). */
export function openApiPath(path: string): string {
  return path.replace(/\{(\w+)\*\}/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document of `routes` (the `--http` listener's whole table): one operation
 * per route and method, from the route's own `doc`, role and path. Each operation names the
 * role it needs (`x-paracle-role`).
 */
export function openApiDocument(routes: readonly Route[], options: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.path)] ??= {});
    for (const method of route.methods) item[method.toLowerCase()] = operation(route, method, options.authorized);
  }
  const bearer = { type: 'http', scheme: 'bearer', description: 'an access token of the config (access.tokens)' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Paracle',
      version: options.version,
      description:
        'The HTTP API of `paracle serve` on its --http address. Errors are `{"error":{"code","message"}}`. ' +
        (options.authorized ? 'Each operation needs the role x-paracle-role names.' : 'No token is checked: every route is open.'),
    },
    paths,
    components: { schemas: SCHEMAS, ...(options.authorized ? { securitySchemes: { bearer } } : {}) },
  };
}
