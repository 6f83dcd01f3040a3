import { hashToken, holdsRole, type Role } from '../../src/access/index.js';
import type { Route } from '../../src/api/index.js';
import { newRunId, writeRun } from '../../src/store/index.js';
import { logLine, stepRecord, textArtifact, workflowRecord, agentRecord } from '../unit/store/records.js';

/** One caller of the matrix: no token, an unknown one, or a configured token of a role, scoped or not. */
export interface Caller {
  label: string;
  token: string | null;
  /** null for no token and for an unknown token. */
  role: Role | null;
  scoped: boolean;
}

const LADDER: Role[] = ['viewer', 'analyst', 'operator', 'admin'];
/** The scope of the scoped tokens: the `release` workflow and agents `cod*`. */
export const MATRIX_SCOPE = { agents: ['cod*'], workflows: ['release'] };

/** Every caller: none, unknown, each role full and scoped, and ingest. */
export const CALLERS: readonly Caller[] = [
  { label: 'no token', token: null, role: null, scoped: false },
  { label: 'unknown token', token: 'paracle_not-a-configured-token', role: null, scoped: false },
  ...LADDER.flatMap((role): Caller[] => [
    { label: role, token: `paracle_matrix-${role}`, role, scoped: false },
    { label: `${role} (scoped)`, token: `paracle_matrix-${role}-scoped`, role, scoped: true },
  ]),
  { label: 'ingest', token: 'paracle_matrix-ingest', role: 'ingest', scoped: false },
];

/** The admin token the reference answers are taken with. */
export const ADMIN_TOKEN = 'paracle_matrix-admin';

/** `access.tokens` for {@link CALLERS}. */
export function matrixTokens(): Record<string, unknown>[] {
  return CALLERS.filter((c) => c.role !== null).map((c) => ({
    name: c.label.replace(' (scoped)', '-scoped'),
    sha256: hashToken(c.token!),
    role: c.role,
    ...(c.scoped ? MATRIX_SCOPE : {}),
  }));
}

/** Schedules that never fire during a test, so a scheduled job never holds the maintenance lease. */
export const QUIET_SCHEDULES = { retention: '0 0 1 1 *', sampling: '0 0 1 1 *', compression: '0 0 1 1 *', archival: '0 0 1 1 *' };

/** The runs of the matrix store. */
export interface MatrixRuns {
  /** A `release` workflow (in scope) and a `deploy` one (out), each with step `plan` and artifacts. */
  inScope: string;
  outOfScope: string;
  /** Agent runs: `coder` (in scope), `writer` (out). */
  coder: string;
  writer: string;
}

/** Writes the matrix's runs (recent, so no retention touches them). */
export async function writeMatrixRuns(runsDir: string): Promise<MatrixRuns> {
  const now = Date.now() - 60_000;
  const workflow = async (workflowId: string, offset: number, traceId: string): Promise<string> => {
    const runId = newRunId(now + offset);
    const record = workflowRecord({
      workflowId,
      traceId,
      startedAtMs: now + offset,
      completedAtMs: now + offset + 1000,
      artifacts: [textArtifact('report.md', `report of ${workflowId}\n`)],
      logs: [logLine(0, { traceId })],
      steps: [stepRecord({ artifacts: [textArtifact('notes.txt', 'notes\n')] })],
    });
    await writeRun(runsDir, { runId, record, traceJson: '{"resourceSpans":[]}' });
    return runId;
  };
  const agent = async (agentId: string, offset: number, traceId: string): Promise<string> => {
    const runId = newRunId(now + offset);
    const record = agentRecord({ agentId, traceId, startedAtMs: now + offset, completedAtMs: now + offset + 1000 });
    await writeRun(runsDir, { runId, record, traceJson: '{"resourceSpans":[]}' });
    return runId;
  };
  return {
    inScope: await workflow('release', 0, 'a'.repeat(32)),
    outOfScope: await workflow('deploy', 1, 'b'.repeat(32)),
    coder: await agent('coder', 2, 'c'.repeat(32)),
    writer: await agent('writer', 3, 'd'.repeat(32)),
  };
}

/** Sample values of the path parameters routes have; a new parameter fails the matrix until added here. */
const PARAMS: Readonly<Record<string, string>> = {
  step_id: 'plan',
  job: 'compression',
  trace_id: 'e'.repeat(32),
  name: 'uploaded.txt',
  span_id: 'f'.repeat(16),
};

/** A route's path with its parameters filled in for `runId` (an artifact of the run, or of its step). */
export function concretePath(route: Route, runId: string): string {
  const artifact = route.path.includes('/steps/{step_id}/') ? 'notes.txt' : 'report.md';
  return route.path.replace(/\{(\w+)\*?\}/g, (_, name: string) => {
    const value = name === 'run_id' ? runId : name === 'path' ? artifact : PARAMS[name];
    if (value === undefined) throw new Error(`the access matrix has no sample value for path parameter {${name}}: add one`);
    return encodeURIComponent(value);
  });
}

/** One request of the matrix: what is sent, what the contract says comes back. */
export interface MatrixCase {
  method: string;
  path: string;
  caller: Caller;
  /** `in` / `out` of the scoped tokens' scope, for routes about one run; `-` otherwise. */
  target: 'in' | 'out' | '-';
  expected: number;
}

/**
 * The status INTERFACE.md §4 and §9 give `caller` on `route`, `reference` being the admin's
 * answer to the same request: a route with no role answers everyone alike; a missing or
 * unknown token is 401; a role not held is 403 (before any scope); a run outside a scoped
 * token's scope is 404; otherwise what the admin got.
 */
export function expectedStatus(route: Route, caller: Caller, target: MatrixCase['target'], reference: number): number {
  if (route.role === null) return reference;
  if (caller.role === null) return 401;
  if (!holdsRole(caller.role, route.role)) return 403;
  if (route.runParam !== undefined && caller.scoped && target === 'out') return 404;
  return reference;
}

/** Sends one request as `token` (with a body when the route reads one) and returns its status. */
export type SendRequest = (method: string, path: string, token: string | null, route: Route) => Promise<number>;

/**
 * Runs every route of `routes` (each method) × every caller × in and out of scope, comparing
 * each answer with {@link expectedStatus}. Returns the mismatches as lines (empty: all
 * right) and how many requests were checked. References must be answers, not refusals.
 */
export async function runMatrix(routes: readonly Route[], runs: MatrixRuns, send: SendRequest): Promise<{ mismatches: string[]; checked: number }> {
  const mismatches: string[] = [];
  let checked = 0;
  for (const route of routes) {
    const targets: [MatrixCase['target'], string][] = route.runParam === undefined ? [['-', runs.inScope]] : [['in', runs.inScope], ['out', runs.outOfScope]];
    for (const method of route.methods) {
      for (const [target, runId] of targets) {
        const path = concretePath(route, runId);
        const reference = await send(method, path, route.role === null ? null : ADMIN_TOKEN, route);
        if (reference === 401 || reference === 403 || reference >= 500) {
          mismatches.push(`${method} ${path}: the admin's reference answer is ${reference}`);
          continue;
        }
        for (const caller of CALLERS) {
          const expected = expectedStatus(route, caller, target, reference);
          const got = await send(method, path, caller.token, route);
          checked++;
          if (got !== expected) mismatches.push(`${method} ${route.path} [${target}] as ${caller.label}: expected ${expected}, got ${got}`);
        }
      }
    }
  }
  return { mismatches, checked };
}
