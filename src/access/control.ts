import { PermissionDeniedError, UnauthenticatedError, type ParacleError } from '../lib/index.js';
import type { AuthFailureReason } from '../model/index.js';
import { holdsRole, type Role } from './roles.js';
import { ANONYMOUS, bearerToken, TokenTable, type Principal, type TokenSpec } from './tokens.js';


/** A refused request: why, and who asked (the audit `actor`, never the token). */
export interface AuthFailure {
  reason: AuthFailureReason;
  /** The token's name; `unknown` for an unknown token; `anonymous` without one. */
  actor: string;
  message: string;
}

/** The outcome of checking one request's credential. */
export type AuthDecision = { principal: Principal; failure?: undefined } | { failure: AuthFailure; principal?: undefined };

/** The access settings of one configuration, resolved. */
export interface AccessSettings {
  tokens: readonly TokenSpec[];
  /** `access.metrics_public`: `/metrics` needs no token. */
  metricsPublic: boolean;
  /** Whether OTLP needs a token with `ingest` (`access.ingest_tokens_required`, resolved). */
  ingestTokensRequired: boolean;
}

/**
 * The daemon's access policy (INTERFACE.md §4, §9), with no I/O: who a bearer token is, and
 * whether it holds the role a request needs. With no token configured the API is open (the
 * start-up check keeps that to loopback) and every caller is `anonymous` with every role.
 * Settings can be replaced while serving (a config reload); each decision uses one set.
 */
export class AccessControl {
  private table: TokenTable;
  private settings: AccessSettings;

  constructor(settings: AccessSettings) {
    this.settings = settings;
    this.table = new TokenTable(settings.tokens);
  }

  /** Takes new settings for the requests that follow. */
  update(settings: AccessSettings): void {
    this.table = new TokenTable(settings.tokens);
    this.settings = settings;
  }

  /** True when no token is configured: every route is open. */
  get open(): boolean {
    return this.table.size === 0;
  }

  /** True when `/metrics` is served without a token. */
  get metricsPublic(): boolean {
    return this.settings.metricsPublic;
  }

  /** Whether OTLP requests must carry a token with `ingest`. */
  get ingestTokensRequired(): boolean {
    return this.settings.ingestTokensRequired;
  }

  /**
   * Checks the `Authorization` header of an API request for a route needing `needed`:
   * missing or unknown token → `missing`/`unknown`, a known token without the role → `role`.
   */
  authorize(authorization: string | undefined, needed: Role): AuthDecision {
    const table = this.table;
    if (table.size === 0) return { principal: ANONYMOUS };
    return decide(table, authorization, needed);
  }

  /** Checks an OTLP request's credential; anyone may send while ingest tokens are not required. */
  authorizeIngest(authorization: string | undefined): AuthDecision {
    if (!this.settings.ingestTokensRequired) return { principal: ANONYMOUS };
    return decide(this.table, authorization, 'ingest');
  }
}

function decide(table: TokenTable, authorization: string | undefined, needed: Role): AuthDecision {
  const token = bearerToken(authorization);
  if (token === null) {
    return { failure: { reason: 'missing', actor: 'anonymous', message: 'a token is needed: send it as "Authorization: Bearer <token>"' } };
  }
  const principal = table.lookup(token);
  if (!principal) return { failure: { reason: 'unknown', actor: 'unknown', message: 'the token is not one this daemon knows' } };
  if (principal.role === null || !holdsRole(principal.role, needed)) {
    const message = `token "${principal.name}" has role ${principal.role}; this needs ${needed}`;
    return { failure: { reason: 'role', actor: principal.name, message } };
  }
  return { principal };
}

/** The error a refusal is answered with: 401 for a missing or unknown token, 403 for a role. */
export function failureError(failure: AuthFailure): ParacleError {
  return failure.reason === 'missing' || failure.reason === 'unknown'
    ? new UnauthenticatedError(failure.message)
    : new PermissionDeniedError(failure.message);
}
