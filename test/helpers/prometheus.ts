import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, removeTempDir } from './daemon.js';
import { freePort } from './free-port.js';

/** A real Prometheus process on a loopback port with temp storage. */
export interface PrometheusProcess {
  url: string;
  /** Evaluates an instant query; resolves with the API's status and result series. */
  query(expr: string): Promise<{ status: string; series: unknown[]; error?: string }>;
  /** The values of `label` on series matching `selector` (what Grafana's label_values asks). */
  labelValues(label: string, selector: string): Promise<string[]>;
  stop(): Promise<void>;
}

// Other tests import it from here.
export { freePort };

/**
 * Starts `prometheus` scraping `target` (HOST:PORT of /metrics) every second, listening on a
 * free loopback port with storage in a temp dir; resolves once it is ready (within `timeoutMs`).
 * `configText` replaces the generated config file (a test of a config users are given).
 */
export async function startPrometheus(target: string, timeoutMs = 15_000, configText?: string): Promise<PrometheusProcess> {
  const dir = await makeTempDir('paracle-prometheus-');
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, configText ?? `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: paracle\n    static_configs:\n      - targets: ["${target}"]\n`);
  const port = await freePort();
  const child = spawn('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    await removeTempDir(dir);
  };
  try {
    await waitUntilReady(url, exited, timeoutMs);
  } catch (err) {
    await stop();
    throw new Error(`prometheus did not start: ${(err as Error).message} ${stderr}`, { cause: err });
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data?: { result: unknown[] }; error?: string };
      return { status: body.status, series: body.data?.result ?? [], ...(body.error ? { error: body.error } : {}) };
    },
    async labelValues(label, selector) {
      const res = await fetch(`${url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(selector)}`);
      return ((await res.json()) as { data: string[] }).data;
    },
    stop,
  };
}

async function waitUntilReady(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await sleep(100);
  }
  throw new Error(gone ? 'the process exited' : `not ready within ${timeoutMs} ms`);
}
