/**
 * Query benchmark (issue 7): a 100k-run fixture store, then `runs list --limit 20` and a
 * filtered `runs search` as whole CLI process times, and API search latency against a daemon.
 * Goals: CLI under 0.5 s, API search p50 under 50 ms. Run with `npm run bench:query`;
 * `BENCH_RUNS` changes the store size. Not part of `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { writeFixtureStore } from '../test/helpers/fixture-store.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const CLI = resolve('dist/cli/main.js');
const DATA = resolve('bench/.data', `runs-${RUNS}`);
const RUNS_DIR = join(DATA, 'runs');
const SEARCH = ['--agent', 'coder', '--status', 'completed', '--since', '7d', '--limit', '20'];

async function ensureStore(): Promise<void> {
  const done = join(DATA, 'complete');
  if (existsSync(done)) return;
  await rm(DATA, { recursive: true, force: true });
  await mkdir(DATA, { recursive: true });
  const started = performance.now();
  await writeFixtureStore(RUNS_DIR, { count: RUNS, concurrency: 64 });
  console.log(`fixture: wrote ${RUNS} runs in ${seconds(performance.now() - started)}`);
  await writeFile(done, '');
}

function cliMs(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, 'runs', ...args, '--runs-dir', RUNS_DIR, '--json'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`paracle runs ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

/** Sequential request times in ms, after 10 warm-up requests. */
async function latencies(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 10; i++) {
    const t = performance.now();
    await (await fetch(url)).json();
    if (i >= 10) times.push(performance.now() - t);
  }
  return times;
}

interface DaemonFigures {
  startMs: number;
  watchMs: number;
  duringScan: number[];
  p50: number;
  p95: number;
  rssMb: number;
}

async function daemonSearch(): Promise<DaemonFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--runs-dir', RUNS_DIR, '--http', '127.0.0.1:0', '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const line = await new Promise<string>((res) => createInterface({ input: child.stdout }).once('line', res));
    const startMs = performance.now() - started;
    const watching = new Promise<void>((res) => createInterface({ input: child.stderr }).on('line', (l) => l.includes('watching the runs dir') && res()));
    const base = `http://${(JSON.parse(line) as { http: string }).http}/api/v1/runs?agent=coder&status=completed&since=7d&limit=20`;
    const duringScan = await latencies(base, 100);
    await watching;
    const watchMs = performance.now() - started;
    const after = await latencies(base, 200);
    const status = spawnSync('ps', ['-o', 'rss=', '-p', String(child.pid)], { encoding: 'utf8' });
    return { startMs, watchMs, duringScan, p50: percentile(after, 0.5), p95: percentile(after, 0.95), rssMb: Number(status.stdout.trim()) / 1024 };
  } finally {
    child.kill('SIGTERM');
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  await ensureStore();
  const reindexStarted = performance.now();
  cliMs(['reindex']);
  console.log(`index: rebuilt ${RUNS} runs in ${seconds(performance.now() - reindexStarted)}`);
  const list = Array.from({ length: 10 }, () => cliMs(['list', '--limit', '20']));
  const search = Array.from({ length: 10 }, () => cliMs(['search', ...SEARCH]));
  console.log(`cli list --limit 20: p50 ${percentile(list, 0.5).toFixed(0)} ms, max ${Math.max(...list).toFixed(0)} ms (goal < 500 ms)`);
  console.log(`cli search ${SEARCH.join(' ')}: p50 ${percentile(search, 0.5).toFixed(0)} ms, max ${Math.max(...search).toFixed(0)} ms (goal < 500 ms)`);
  const api = await daemonSearch();
  console.log(`daemon: listening after ${seconds(api.startMs)}, watcher scan done after ${seconds(api.watchMs)}, RSS ${api.rssMb.toFixed(0)} MB`);
  console.log(`api search during the watcher's initial scan: p50 ${percentile(api.duringScan, 0.5).toFixed(1)} ms over 100 requests`);
  console.log(`api search p50 ${api.p50.toFixed(1)} ms, p95 ${api.p95.toFixed(1)} ms over 200 requests (goal p50 < 50 ms)`);
}

await main();
