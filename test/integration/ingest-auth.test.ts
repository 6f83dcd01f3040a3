import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/access/index.js';
import { readAudit } from '../../src/audit/index.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { sumOf } from '../helpers/metrics.js';
import { exportOneRun, type ExporterKind } from '../helpers/otel.js';
import { rawRequest } from '../helpers/raw-http.js';
import { waitForRuns } from '../helpers/runs.js';

const INGEST = 'paracle_ingest-test-token';
const VIEWER = 'paracle_viewer-test-token';
const ADMIN = 'paracle_admin-test-token';
const TOKENS = [
  { name: 'agents', sha256: hashToken(INGEST), role: 'ingest' },
  { name: 'grafana', sha256: hashToken(VIEWER), role: 'viewer' },
  { name: 'root', sha256: hashToken(ADMIN), role: 'admin' },
];
const KINDS: ExporterKind[] = ['http-json', 'http-proto', 'grpc'];
// The exporters report HTTP statuses, and gRPC status codes (16 UNAUTHENTICATED, 7 PERMISSION_DENIED).
const UNAUTHENTICATED = { http: 401, grpc: 16 };
const PERMISSION_DENIED = { http: 403, grpc: 7 };
const code = (kind: ExporterKind, codes: { http: number; grpc: number }): number => (kind === 'grpc' ? codes.grpc : codes.http);

describe('OTLP ingest tokens (access.ingest_tokens_required: true), from the real OTel exporters', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startTestDaemon({ access: { tokens: TOKENS, ingest_tokens_required: true } });
  });
  afterAll(async () => d?.stop());

  for (const kind of KINDS) {
    it(`${kind}: refuses no token and an unknown one (UNAUTHENTICATED), a token without ingest (PERMISSION_DENIED), takes ingest and admin`, async () => {
      const none = await exportOneRun(kind, d.endpoint(kind), `none-${kind}`);
      expect(none.code).toBe(1);
      expect(none.error?.code).toBe(code(kind, UNAUTHENTICATED));
      const unknown = await exportOneRun(kind, d.endpoint(kind), `unknown-${kind}`, { token: 'paracle_nobody' });
      expect(unknown.error?.code).toBe(code(kind, UNAUTHENTICATED));
      const viewer = await exportOneRun(kind, d.endpoint(kind), `viewer-${kind}`, { token: VIEWER });
      expect(viewer.error?.code).toBe(code(kind, PERMISSION_DENIED));
      expect(await exportOneRun(kind, d.endpoint(kind), `ingest-${kind}`, { token: INGEST })).toEqual({ code: 0 });
      expect(await exportOneRun(kind, d.endpoint(kind), `admin-${kind}`, { token: ADMIN })).toEqual({ code: 0 });
      const stored = await waitForRuns(d.runsDir, (runs) => ['ingest', 'admin'].every((who) => runs.some((r) => r.metadata.agent_id === `${who}-${kind}`)));
      expect(stored.filter((r) => /^(none|unknown|viewer)-/.test(String(r.metadata.agent_id)))).toEqual([]);
    });
  }

  it('takes the token from OTEL_EXPORTER_OTLP_HEADERS, as the README tells agents to set it', async () => {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer%20${INGEST}`;
    try {
      for (const kind of KINDS) expect(await exportOneRun(kind, d.endpoint(kind), `env-${kind}`), kind).toEqual({ code: 0 });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
  });

  it('counts and audits the refusals', async () => {
    const metrics = (await rawRequest(d.httpUrl, 'GET', '/metrics', { headers: { authorization: `Bearer ${ADMIN}` } })).body;
    // Three transports refused each: no token, an unknown token, a viewer token.
    expect(sumOf(metrics, 'paracle_auth_failures_total', { reason: 'missing' })).toBe(3);
    expect(sumOf(metrics, 'paracle_auth_failures_total', { reason: 'unknown' })).toBe(3);
    expect(sumOf(metrics, 'paracle_auth_failures_total', { reason: 'role' })).toBe(3);
    await d.daemon.shutdown();
    // Refusals past the first of a minute are summed (test/unit/audit); by shutdown all are written.
    const lines = await readAudit(d.runsDir, { actor: 'grafana' });
    expect(lines.every((l) => l.action === 'auth.failure' && l.outcome === 'role')).toBe(true);
    expect(lines.reduce((n, l) => n + (l.count ?? 1), 0)).toBe(3);
  });
});

describe('OTLP ingest without required tokens', () => {
  it('takes OTLP without a token on loopback by default, tokens configured or not', async () => {
    const d = await startTestDaemon({ access: { tokens: TOKENS } });
    try {
      for (const kind of KINDS) expect(await exportOneRun(kind, d.endpoint(kind), `open-${kind}`)).toEqual({ code: 0 });
    } finally {
      await d.stop();
    }
  });

  it('refuses to start when ingest tokens are required and no token has ingest or admin', async () => {
    const runsDir = await makeTempDir();
    try {
      const config = { access: { tokens: [TOKENS[1]], ingest_tokens_required: true } };
      await expect(startTestDaemon(config, { runsDir })).rejects.toThrow(/no token has role ingest or admin/);
    } finally {
      await removeTempDir(runsDir);
    }
  });
});
