import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUIET_SCHEDULES, writeMatrixRuns, type MatrixRuns } from '../helpers/access-matrix.js';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { sumOf } from '../helpers/metrics.js';
import { rawRequest } from '../helpers/raw-http.js';

const CHROMIUM = '/usr/bin/chromium';
const REBIND_HOST = 'rebind.test';

/** A page on another origin (127.0.0.2) that posts a form to `action` as soon as it loads. */
async function attackerSite(action: string): Promise<{ url: string; close(): Promise<void> }> {
  const html = `<!doctype html><form method="POST" action="${action}"><input name="a" value="b"></form><script>document.forms[0].submit()</script>`;
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.2:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('browser safety of the API (open API on loopback), with a real Chromium', () => {
  let d: TestDaemon;
  let runs: MatrixRuns;
  let browser: Browser;

  beforeAll(async () => {
    const runsDir = await makeTempDir('paracle-browser-');
    runs = await writeMatrixRuns(runsDir);
    d = await startTestDaemon({ runs: { schedules: QUIET_SCHEDULES } }, { runsDir });
    // rebind.test resolves to the daemon's address, as after a DNS-rebinding attacker switched its
    // record. Chromium's own local-network checks are off: the daemon must hold on its own, as it
    // must for browsers without them.
    const args = [
      '--no-sandbox',
      `--host-resolver-rules=MAP ${REBIND_HOST} 127.0.0.1`,
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
    ];
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
  });
  afterAll(async () => {
    await browser?.close();
    await d?.stop();
  });

  it('refuses a form a page on another site posts to the maintenance route (CSRF): 403, and no job runs', async () => {
    const target = `${d.httpUrl}/api/v1/maintenance/retention?older_than=1s`;
    const site = await attackerSite(target);
    const page = await browser.newPage();
    try {
      const answered = page.waitForResponse((res) => res.url() === target);
      await page.goto(site.url);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(response.request().headers().origin).toBe(new URL(site.url).origin);
    } finally {
      await page.close();
      await site.close();
    }
    const metrics = (await rawRequest(d.httpUrl, 'GET', '/metrics')).body;
    expect(sumOf(metrics, 'paracle_maintenance_runs_total', { job: 'retention' })).toBe(0);
    // Had the job run, every run (older than 1 s) would have been archived.
    expect(existsSync(join(d.runsDir, 'workflows', runs.inScope, 'metadata.yaml'))).toBe(true);
  });

  /** What a page served as http://rebind.test:PORT/ reads from its own origin, the name resolving to the daemon. */
  async function readAsRebound(daemon: TestDaemon): Promise<{ status: number; body: string }> {
    const { port } = new URL(daemon.httpUrl);
    const page = await browser.newPage();
    try {
      // The attacker's page, as first served from the attacker's own address.
      await page.route(`http://${REBIND_HOST}:${port}/`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>hi</title>' }));
      await page.goto(`http://${REBIND_HOST}:${port}/`);
      // Its same-origin read, which the rebound name sends to the daemon.
      return await page.evaluate(async () => {
        const res = await fetch('/api/v1/runs');
        return { status: res.status, body: await res.text() };
      });
    } finally {
      await page.close();
    }
  }

  it('answers a page whose DNS name was rebound to the daemon with 403, unless the name is allowed', async () => {
    const refused = await readAsRebound(d);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain(runs.inScope);
    // The same page reads the runs once the name is allowed: the Host check alone refused it.
    const allowing = await startTestDaemon({ daemon: { allowed_hosts: [REBIND_HOST] } }, { runsDir: await makeTempDir('paracle-rebind-') });
    try {
      expect((await readAsRebound(allowing)).status).toBe(200);
    } finally {
      await allowing.stop();
    }
  });

  it('takes what the CLI, curl and Prometheus send, and the same origin', async () => {
    const own = { origin: d.httpUrl };
    expect((await rawRequest(d.httpUrl, 'PUT', `/api/v1/runs/${runs.coder}/pin`)).status).toBe(200);
    expect((await rawRequest(d.httpUrl, 'PUT', `/api/v1/runs/${runs.coder}/pin`, { headers: own })).status).toBe(200);
    const upload = { 'content-type': 'application/octet-stream' };
    expect((await rawRequest(d.httpUrl, 'PUT', `/api/v1/traces/${'f'.repeat(32)}/artifacts/a.txt`, { headers: upload, body: 'x' })).status).toBe(201);
    for (const host of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST.']) {
      expect((await rawRequest(d.httpUrl, 'GET', '/healthz', { headers: { host: `${host}:${new URL(d.httpUrl).port}` } })).status, host).toBe(200);
    }
  });

  it('refuses state changes with a form or text body (415), a foreign or null Origin (403), and foreign Host names on every route', async () => {
    const path = `/api/v1/runs/${runs.coder}/pin`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await rawRequest(d.httpUrl, 'PUT', path, { headers: form, body: 'a=b' })).status).toBe(415);
    expect((await rawRequest(d.httpUrl, 'PUT', path, { headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await rawRequest(d.httpUrl, 'PUT', `/api/v1/traces/${'f'.repeat(32)}/artifacts/b.txt`, { body: 'x' })).status).toBe(415);
    expect((await rawRequest(d.httpUrl, 'DELETE', path, { headers: { origin: 'null' } })).status).toBe(403);
    expect((await rawRequest(d.httpUrl, 'DELETE', path, { headers: { origin: 'http://127.0.0.1:1' } })).status).toBe(403);
    for (const route of ['/healthz', '/metrics', '/api/v1/runs', '/no/such/route']) {
      const res = await rawRequest(d.httpUrl, 'GET', route, { headers: { host: 'evil.example' } });
      expect(res.status, route).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('permission_denied');
    }
  });
});

describe('daemon.allowed_hosts', () => {
  it('answers the host names it lists', async () => {
    const d = await startTestDaemon({ daemon: { allowed_hosts: ['paracle.internal'] } });
    try {
      expect((await rawRequest(d.httpUrl, 'GET', '/api/v1/runs', { headers: { host: 'Paracle.Internal:9464' } })).status).toBe(200);
      expect((await rawRequest(d.httpUrl, 'GET', '/api/v1/runs', { headers: { host: 'other.internal' } })).status).toBe(403);
    } finally {
      await d.stop();
    }
  });
});
