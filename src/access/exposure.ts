import { formatHostPort, isLoopback, StartupError, type HostPort } from '../lib/index.js';
import { TokenTable, type TokenSpec } from './tokens.js';

/** The `access` settings the start-up rules read. */
export interface ExposurePolicy {
  allowUnauthenticated: boolean;
  tokens: readonly TokenSpec[];
  /** `access.ingest_tokens_required`; null: decided by where the OTLP listeners are. */
  ingestTokensRequired: boolean | null;
}

/** The listeners the rules apply to. */
export interface Listeners {
  otlp_http: HostPort;
  otlp_grpc: HostPort;
  http: HostPort;
}

/**
 * Whether OTLP needs an ingest token (INTERFACE.md §9): as configured, else true when an OTLP
 * listener is off loopback, unless `allow_unauthenticated` is set.
 */
export function ingestTokensRequired(listeners: Listeners, policy: ExposurePolicy): boolean {
  if (policy.ingestTokensRequired !== null) return policy.ingestTokensRequired;
  if (policy.allowUnauthenticated) return false;
  return !isLoopback(listeners.otlp_http.host) || !isLoopback(listeners.otlp_grpc.host);
}

/**
 * The start-up rules of INTERFACE.md §4 and §9, as a {@link StartupError} naming the problem:
 * with no token configured every listener must be on loopback unless
 * `access.allow_unauthenticated` says the exposure is intended; when ingest tokens are
 * required, some token must hold `ingest` (or `admin`).
 */
export function checkExposure(listeners: Listeners, policy: ExposurePolicy): void {
  const table = new TokenTable(policy.tokens);
  if (table.size === 0 && !policy.allowUnauthenticated) {
    for (const [name, address] of Object.entries(listeners)) {
      if (!isLoopback(address.host)) {
        throw new StartupError(
          `refusing to listen on ${formatHostPort(address)} (${name}) without access tokens; ` +
            'configure access.tokens or set access.allow_unauthenticated: true',
        );
      }
    }
  }
  if (ingestTokensRequired(listeners, policy) && !table.hasIngest) {
    throw new StartupError(
      'OTLP needs an ingest token (access.ingest_tokens_required, or an OTLP listener off loopback) but no token has role ingest or admin; ' +
        'add one (paracle token new --role ingest --name agents) or set access.ingest_tokens_required: false',
    );
  }
}
