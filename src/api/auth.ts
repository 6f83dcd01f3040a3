import { failureError, PUBLIC, type AccessControl, type AuthFailure, type Principal } from '../access/index.js';
import type { RunKind } from '../model/index.js';
import { noSuchRun } from '../store/index.js';
import { jsonContent } from './openapi.js';
import { sendJson } from './respond.js';
import type { Authorize, Route } from './router.js';

/** What the authorization hook asks the rest of the daemon. */
export interface AuthorizerOptions {
  access: AccessControl;
  /** A run's kind and agent_id / workflow_id; throws as a read of the run would (400, 404). */
  runSubject(runId: string): Promise<{ kind: RunKind; subject: string | null }>;
  /** A refusal, to count and audit before it is answered. */
  refused(failure: AuthFailure, runId?: string): Promise<void>;
  /** Routes served without a token although they have a role (`/metrics` with `access.metrics_public`). */
  isPublic?(route: Route): boolean;
}

/**
 * The one authorization hook of the API (INTERFACE.md §4, §9), run before every handler from
 * the route's role: a missing or unknown token is 401 (with `WWW-Authenticate`), a known one
 * without the role 403, whatever the run; then a route about one run (`runParam`) outside the
 * token's scope is the very 404 of a run that does not exist. Every refusal is reported to
 * `refused` first. Collections are filtered by the handlers from `principal.scope`.
 */
export function createAuthorizer(options: AuthorizerOptions): Authorize {
  const { access } = options;
  return async ({ req, res, params }, route): Promise<Principal> => {
    if (route.role === null || options.isPublic?.(route)) return PUBLIC;
    const decision = access.authorize(req.headers.authorization, route.role);
    if (decision.failure) {
      const { reason } = decision.failure;
      await options.refused(decision.failure);
      if (reason !== 'role') res.setHeader('WWW-Authenticate', `Bearer realm="paracle"${reason === 'unknown' ? ', error="invalid_token"' : ''}`);
      throw failureError(decision.failure);
    }
    const { principal } = decision;
    if (route.runParam === undefined || principal.scope.filter === null) return principal;
    const runId = params[route.runParam]!;
    const { kind, subject } = await options.runSubject(runId);
    if (principal.scope.allows(kind, subject)) return principal;
    await options.refused({ reason: 'scope', actor: principal.name, message: `run ${runId} is outside the scope of token "${principal.name}"` }, runId);
    throw noSuchRun(runId);
  };
}

/** `GET /api/v1/whoami`: the caller's token name, role and scope, for the UI to show what it may do. */
export function accessRoutes(): Route[] {
  return [
    {
      methods: ['GET', 'HEAD'],
      path: '/api/v1/whoami',
      role: 'viewer',
      doc: {
        summary: "the caller's token: name, role and scope (the UI shows what it may do)",
        responses: {
          200: {
            description: 'the token as configured (never its secret or hash)',
            content: jsonContent({
              type: 'object',
              required: ['name', 'role', 'scope'],
              properties: {
                name: { type: 'string', description: '`anonymous` on an open API' },
                role: { enum: ['viewer', 'analyst', 'operator', 'admin', 'ingest'] },
                scope: {
                  type: 'object',
                  description: 'agent and workflow id globs as configured; both null: every run, one null: no run of that kind',
                  properties: { agents: { type: ['array', 'null'], items: { type: 'string' } }, workflows: { type: ['array', 'null'], items: { type: 'string' } } },
                },
              },
            }),
          },
        },
      },
      handle: async ({ res, principal }) => {
        const { agents, workflows } = principal.scope;
        sendJson(res, 200, { name: principal.name, role: principal.role, scope: { agents, workflows } });
      },
    },
  ];
}
