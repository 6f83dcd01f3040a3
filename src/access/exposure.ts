import { formatHostPort, isLoopback, StartupError, type HostPort } from '../lib/index.js';

/** The access settings that decide whether an open API is allowed. */
export interface AccessPolicy {
  allowUnauthenticated: boolean;
  tokenCount: number;
}

/**
 * INTERFACE.md §4: with no tokens configured the daemon may only serve on loopback
 * addresses, unless `access.allow_unauthenticated` says the exposure is intended.
 */
export function checkExposure(listeners: Record<string, HostPort>, policy: AccessPolicy): void {
  if (policy.tokenCount > 0 || policy.allowUnauthenticated) return;
  for (const [name, address] of Object.entries(listeners)) {
    if (!isLoopback(address.host)) {
      throw new StartupError(
        `refusing to listen on ${formatHostPort(address)} (${name}) without access tokens; ` +
          'configure access.tokens or set access.allow_unauthenticated: true',
      );
    }
  }
}
