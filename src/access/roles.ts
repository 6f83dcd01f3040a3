/** The roles of INTERFACE.md §4: viewer < analyst < operator < admin; `ingest` stands apart. */
export const ROLES = ['viewer', 'analyst', 'operator', 'admin', 'ingest'] as const;

/** One role a token holds or a route needs. */
export type Role = (typeof ROLES)[number];

const LADDER: readonly Role[] = ['viewer', 'analyst', 'operator', 'admin'];

/**
 * Whether a token of role `held` may do what needs `needed`: up the ladder each role holds
 * those below it; `ingest` holds only itself; `admin` holds every role, `ingest` included.
 */
export function holdsRole(held: Role, needed: Role): boolean {
  if (held === 'admin' || held === needed) return true;
  if (held === 'ingest' || needed === 'ingest') return false;
  return LADDER.indexOf(held) >= LADDER.indexOf(needed);
}
