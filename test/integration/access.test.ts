import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit, verifyAudit } from '../../src/audit/index.js';
import type { Route } from '../../src/api/index.js';
import { ADMIN_TOKEN, CALLERS, matrixTokens, QUIET_SCHEDULES, runMatrix, writeMatrixRuns, type MatrixRuns } from '../helpers/access-matrix.js';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { sumOf } from '../helpers/metrics.js';
import { rawRequest } from '../helpers/raw-http.js';

const token = (label: string): string => CALLERS.find((c) => c.label === label)!.token!;

/** One request as a token, with an octet-stream body for routes that read one. */
function send(baseUrl: string) {
  return async (method: string, path: string, bearer: string | null, route?: Route): Promise<number> => {
    const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
    const body = route?.readsBody ? 'uploaded bytes\n' : undefined;
    if (body !== undefined) headers['content-type'] = 'application/octet-stream';
    return (await rawRequest(baseUrl, method, path, { headers, body })).status;
  };
}

async function getJson(baseUrl: string, path: string, bearer: string): Promise<Record<string, unknown>> {
  const res = await rawRequest(baseUrl, 'GET', path, { headers: { authorization: `Bearer ${bearer}` } });
  expect(res.status, `${path}: ${res.body}`).toBe(200);
  return JSON.parse(res.body) as Record<string, unknown>;
}

describe('access control of the API, on loopback with tokens', () => {
  let d: TestDaemon;
  let runs: MatrixRuns;

  beforeAll(async () => {
    const runsDir = await makeTempDir('paracle-access-');
    runs = await writeMatrixRuns(runsDir);
    d = await startTestDaemon({ access: { tokens: matrixTokens() }, runs: { schedules: QUIET_SCHEDULES } }, { runsDir });
  });
  afterAll(async () => d?.stop());

  it('answers every route of the route table, every caller, in and out of scope, with the status of §4/§9', async () => {
    const paths = d.daemon.routes.map((r) => r.path);
    // The routes the issue names are in the table the matrix walks.
    expect(paths).toEqual(expect.arrayContaining(['/metrics', '/api/v1/runs/{run_id}/pin', '/api/v1/maintenance/{job}', '/api/v1/traces/{trace_id}/artifacts/{name*}', '/api/v1/runs/{run_id}/replay', '/api/v1/runs/{run_id}/spans', '/api/v1/stats/series']));
    const { mismatches, checked } = await runMatrix(d.daemon.routes, runs, send(d.httpUrl));
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(d.daemon.routes.length * CALLERS.length);
  });

  it('filters list, search and stats to a scoped token and leaves them whole for the others', async () => {
    const ids = async (bearer: string, query = ''): Promise<string[]> =>
      ((await getJson(d.httpUrl, `/api/v1/runs?limit=100${query}`, bearer)).runs as { run_id: string }[]).map((r) => r.run_id).sort();
    expect(await ids(token('viewer (scoped)'))).toEqual([runs.inScope, runs.coder].sort());
    expect(await ids(token('viewer'))).toEqual([runs.inScope, runs.outOfScope, runs.coder, runs.writer].sort());
    expect(await ids(token('analyst (scoped)'), '&agent=writer')).toEqual([]);
    expect(await ids(token('analyst (scoped)'), '&kind=workflow')).toEqual([runs.inScope]);
    const groups = async (bearer: string, by: string): Promise<unknown[]> =>
      ((await getJson(d.httpUrl, `/api/v1/stats?by=${by}`, bearer)).groups as { key: string }[]).map((g) => g.key).sort();
    expect(await groups(token('viewer (scoped)'), 'workflow')).toEqual(['release']);
    expect(await groups(token('viewer (scoped)'), 'agent')).toEqual(['coder']);
    expect(await groups(token('admin'), 'workflow')).toEqual(['deploy', 'release']);
  });

  it('refuses a run out of scope with the very answer of a run that does not exist', async () => {
    const asScoped = { authorization: `Bearer ${token('analyst (scoped)')}` };
    const outOfScope = await rawRequest(d.httpUrl, 'GET', `/api/v1/runs/${runs.outOfScope}`, { headers: asScoped });
    const missing = '01J0000000000000000000000Z';
    const absent = await rawRequest(d.httpUrl, 'GET', `/api/v1/runs/${missing}`, { headers: asScoped });
    expect(outOfScope.status).toBe(404);
    expect(outOfScope.body).toBe(absent.body.replace(missing, runs.outOfScope));
  });

  it('answers 401 with WWW-Authenticate and the error shape, 403 naming the role needed', async () => {
    const none = await rawRequest(d.httpUrl, 'GET', '/api/v1/runs');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="paracle"');
    expect(JSON.parse(none.body)).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('Authorization: Bearer') as string } });
    const unknown = await rawRequest(d.httpUrl, 'GET', '/metrics', { headers: { authorization: 'Bearer nope' } });
    expect(unknown.headers['www-authenticate']).toBe('Bearer realm="paracle", error="invalid_token"');
    const role = await rawRequest(d.httpUrl, 'POST', '/api/v1/maintenance/retention', { headers: { authorization: `Bearer ${token('operator')}` } });
    expect(role.status).toBe(403);
    expect(JSON.parse(role.body)).toEqual({ error: { code: 'permission_denied', message: 'token "operator" has role operator; this needs admin' } });
  });

  it('tells a token who it is (GET /api/v1/whoami), for the UI to show what it may do', async () => {
    expect(await getJson(d.httpUrl, '/api/v1/whoami', token('operator (scoped)'))).toEqual({
      name: 'operator-scoped',
      role: 'operator',
      scope: { agents: ['cod*'], workflows: ['release'] },
    });
    expect(await getJson(d.httpUrl, '/api/v1/whoami', token('viewer'))).toEqual({ name: 'viewer', role: 'viewer', scope: { agents: null, workflows: null } });
  });

  it('counts refusals by reason in paracle_auth_failures_total', async () => {
    const body = (await rawRequest(d.httpUrl, 'GET', '/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body;
    for (const reason of ['missing', 'unknown', 'role', 'scope']) {
      expect(sumOf(body, 'paracle_auth_failures_total', { reason }), reason).toBeGreaterThan(0);
    }
  });

  it('writes one audit line per content read, pin, upload and job with the token name as actor, and a chain that verifies', async () => {
    const as = (label: string): Record<string, string> => ({ authorization: `Bearer ${token(label)}` });
    expect((await rawRequest(d.httpUrl, 'GET', `/api/v1/runs/${runs.coder}/output`, { headers: as('analyst') })).status).toBe(200);
    expect((await rawRequest(d.httpUrl, 'PUT', `/api/v1/runs/${runs.coder}/pin`, { headers: as('operator') })).status).toBe(200);
    expect((await rawRequest(d.httpUrl, 'GET', `/api/v1/runs/${runs.coder}/steps/x/output`, { headers: as('analyst') })).status).toBe(404);
    const lines = await readAudit(d.runsDir, { runId: runs.coder });
    expect(lines.slice(-3).map(({ actor, action, run_id, outcome }) => ({ actor, action, run_id, outcome }))).toEqual([
      { actor: 'analyst', action: 'run.read.output', run_id: runs.coder, outcome: 'ok' },
      { actor: 'operator', action: 'run.pin', run_id: runs.coder, outcome: 'ok' },
      { actor: 'analyst', action: 'run.read.step_output', run_id: runs.coder, outcome: 'not_found' },
    ]);
    const all = await readAudit(d.runsDir);
    expect(all.some((l) => l.actor === 'ingest' && l.action === 'artifact.upload' && l.outcome === 'ok')).toBe(true);
    expect(all.some((l) => l.actor === 'admin' && l.action === 'maintenance.compression' && l.outcome === 'ok')).toBe(true);
    expect(all.some((l) => l.actor === 'unknown' && l.action === 'auth.failure' && l.outcome === 'unknown')).toBe(true);
    expect(all.some((l) => l.actor === 'viewer-scoped' && l.outcome === 'scope' && l.run_id === runs.outOfScope)).toBe(true);
    // Metadata, lists and stats are not content: no lines for them.
    expect(all.some((l) => l.action.startsWith('run.list') || l.action === 'stats')).toBe(false);
    expect(all.every((l) => !JSON.stringify(l).includes('paracle_matrix'))).toBe(true);
    const report = await verifyAudit(d.runsDir);
    expect(report.problem).toBeNull();
    expect(report.lines).toBe(all.length);
  });
});

describe('access settings', () => {
  it('serves /metrics without a token with access.metrics_public, and nothing else', async () => {
    const d = await startTestDaemon({ access: { tokens: matrixTokens(), metrics_public: true } });
    try {
      expect((await rawRequest(d.httpUrl, 'GET', '/metrics')).status).toBe(200);
      expect((await rawRequest(d.httpUrl, 'GET', '/api/v1/stats')).status).toBe(401);
    } finally {
      await d.stop();
    }
  });

  it('leaves the API open on loopback without tokens, every caller being anonymous with every role', async () => {
    const d = await startTestDaemon({ runs: { schedules: QUIET_SCHEDULES } });
    try {
      expect((await rawRequest(d.httpUrl, 'POST', '/api/v1/maintenance/compression')).status).toBe(200);
      const whoami = await rawRequest(d.httpUrl, 'GET', '/api/v1/whoami');
      expect(JSON.parse(whoami.body)).toEqual({ name: 'anonymous', role: 'admin', scope: { agents: null, workflows: null } });
      expect((await readAudit(d.runsDir)).map((l) => [l.actor, l.action])).toEqual([['anonymous', 'maintenance.compression']]);
    } finally {
      await d.stop();
    }
  });
});
