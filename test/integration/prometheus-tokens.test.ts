import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hashToken } from '../../src/access/index.js';
import { formatHostPort } from '../../src/lib/index.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startPrometheus, type PrometheusProcess } from '../helpers/prometheus.js';
import { makeCertificates } from '../helpers/tls.js';

interface ScrapeConfig {
  job_name: string;
  authorization: { credentials_file: string };
  tls_config: { ca_file: string };
  static_configs: { targets: string[] }[];
}

describe('deploy/prometheus/prometheus.tokens.yml: a real Prometheus scraping over TLS with a bearer token file', () => {
  let dir: string;
  let d: TestDaemon;
  let prometheus: PrometheusProcess;

  beforeAll(async () => {
    dir = await makeTempDir('paracle-prom-tokens-');
    const certs = makeCertificates(dir, { ips: ['127.0.0.1'] });
    const token = 'paracle_prometheus-test-token';
    d = await startTestDaemon({
      daemon: { tls: { cert_file: certs.certFile, key_file: certs.keyFile } },
      access: { tokens: [{ name: 'prometheus', sha256: hashToken(token), role: 'viewer' }] },
    });
    await writeFile(join(dir, 'paracle.token'), `${token}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'wrong.token'), 'paracle_wrong\n', { mode: 0o600 });
    // The file users are given, with this test's paths and address; a second job with a wrong token.
    const config = parse(await readFile('deploy/prometheus/prometheus.tokens.yml', 'utf8')) as { global: object; scrape_configs: ScrapeConfig[] };
    const job = config.scrape_configs[0]!;
    job.authorization.credentials_file = join(dir, 'paracle.token');
    job.tls_config.ca_file = certs.caFile;
    job.static_configs[0]!.targets = [formatHostPort(d.daemon.addresses.http)];
    const wrong = { ...structuredClone(job), job_name: 'wrong-token', authorization: { credentials_file: join(dir, 'wrong.token') } };
    config.global = { scrape_interval: '1s', scrape_timeout: '1s' };
    config.scrape_configs.push(wrong);
    prometheus = await startPrometheus('', 15_000, stringify(config));
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await d?.stop();
    if (dir) await removeTempDir(dir);
  });

  it('scrapes with the token (up 1) and is refused with a wrong one (up 0)', async () => {
    const deadline = Date.now() + 20_000;
    let up: Record<string, string> = {};
    let refusalsSeen = 0;
    while (Date.now() < deadline) {
      const { series } = await prometheus.query('up');
      up = Object.fromEntries((series as { metric: { job: string }; value: [number, string] }[]).map((s) => [s.metric.job, s.value[1]]));
      // The wrong token's refusals, as the right token's scrapes report them.
      refusalsSeen = (await prometheus.query('paracle_auth_failures_total{job="paracle",reason="unknown"} > 0')).series.length;
      if (up.paracle === '1' && up['wrong-token'] === '0' && refusalsSeen === 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(up).toEqual({ paracle: '1', 'wrong-token': '0' });
    expect(refusalsSeen).toBe(1);
  });
});
