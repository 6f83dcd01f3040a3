import { ApiError, getJson, storedToken } from './api';
import type { Role, Whoami } from './types';

/** Who is using the UI, as far as the API tells. */
export interface Session {
  role: Role;
  /** The token's name; null on an open API. */
  name: string | null;
  /** Agent and workflow globs the token is limited to; null when it sees every run. */
  agents: string[] | null;
  workflows: string[] | null;
  /** True when the API needs no token (loopback without tokens). */
  open: boolean;
}

const RANK: Readonly<Record<Role, number>> = { ingest: -1, viewer: 0, analyst: 1, operator: 2, admin: 3 };

/** True when `role` holds `needed` (viewer < analyst < operator < admin; admin holds every role). */
export function holds(role: Role, needed: Role): boolean {
  if (role === 'admin') return true;
  if (needed === 'ingest') return role === 'ingest';
  return RANK[role] >= RANK[needed];
}

/**
 * Asks the API who the current token is. An API without `/api/v1/whoami` (404: an older
 * daemon, or one without access control) is taken as open with every role, after checking
 * that it answers a run list without a 401. Throws {@link ApiError} 401 when a token is
 * needed or refused.
 */
export async function loadSession(): Promise<Session> {
  try {
    const who = await getJson<Whoami>('/api/v1/whoami');
    return {
      role: who.role,
      name: who.name,
      agents: who.scope?.agents ?? null,
      workflows: who.scope?.workflows ?? null,
      open: storedToken() === null,
    };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  await getJson('/api/v1/runs?limit=1');
  return { role: 'admin', name: null, agents: null, workflows: null, open: storedToken() === null };
}
