import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles.js';
import { compileScope, EVERY_RUN, type Scope, type ScopeSpec } from './scope.js';

/** One configured token (`access.tokens[]`). */
export interface TokenSpec extends ScopeSpec {
  name: string;
  /** SHA-256 of the token, 64 lowercase hex characters. */
  sha256: string;
  role: Role;
}

/** Who a request acts as once authenticated: a token's name, role and scope. */
export interface Principal {
  /** The token's name: the `actor` of audit lines. */
  readonly name: string;
  /** The token's role; null for a caller of a route that needs none (nothing was checked). */
  readonly role: Role | null;
  readonly scope: Scope;
}

/** The caller of an open API (no token configured): every role, every run. */
export const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', scope: EVERY_RUN };

/** The caller of a route that needs no role (health, the UI's assets): no credential was checked. */
export const PUBLIC: Principal = { name: 'anonymous', role: null, scope: EVERY_RUN };

/** The prefix of tokens made by `paracle token new`, so secret scanners can spot them. */
export const TOKEN_PREFIX = 'paracle_';

/** SHA-256 of a token as 64 lowercase hex characters: what `access.tokens[].sha256` holds. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** A new random token: the prefix and 256 bits in base64url. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The token of an `Authorization: Bearer <token>` header; null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1]! : null;
}

interface Entry {
  digest: Buffer;
  principal: Principal;
}

/**
 * The configured tokens, keyed by SHA-256. A lookup hashes the presented token and compares
 * the digest with every entry in constant time, never stopping at the first match, so the
 * time taken says nothing about which token (or how much of one) matched.
 */
export class TokenTable {
  private readonly entries: readonly Entry[];

  constructor(tokens: readonly TokenSpec[]) {
    this.entries = tokens.map((token) => ({
      digest: Buffer.from(token.sha256, 'hex'),
      principal: { name: token.name, role: token.role, scope: compileScope(token) } satisfies Principal,
    }));
  }

  /** How many tokens are configured. */
  get size(): number {
    return this.entries.length;
  }

  /** Whether some token may send OTLP (role `ingest` or `admin`). */
  get hasIngest(): boolean {
    return this.entries.some(({ principal }) => principal.role === 'ingest' || principal.role === 'admin');
  }

  /** The principal of `token`, or null when no configured token has its hash. */
  lookup(token: string): Principal | null {
    // One-shot hashing: no hash object per request on the ingest path.
    const digest = hash('sha256', token, 'buffer');
    let found: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) found = entry.principal;
    }
    return found;
  }
}
