/**
 * Query figures on a fixture store of N runs (written once by the store's own writer and
 * cached in `<data dir>/runs-N/`): `paracle runs list --limit 20` and a filtered `runs search`
 * as whole CLI processes, and the same search through the daemon's API.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFixtureStore } from '../test/helpers/fixture-store.js';
import { percentile } from './load.js';
import { startDaemon } from './processes.js';

export const SEARCH_ARGS = ['--agent', 'coder', '--status', 'completed', '--since', '7d', '--limit', '20'];
const SEARCH_QUERY = 'agent=coder&status=completed&since=7d&limit=20';

/** The fixture store of `runs` runs under `dataDir`, built when missing; returns its runs dir and whether it was built now. */
export async function ensureFixtureStore(dataDir: string, runs: number, log: (line: string) => void): Promise<string> {
  const data = join(dataDir, `runs-${runs}`);
  const runsDir = join(data, 'runs');
  const done = join(data, 'complete');
  if (existsSync(done)) return runsDir;
  await rm(data, { recursive: true, force: true });
  await mkdir(data, { recursive: true });
  log(`query fixture: writing ${runs} runs to ${runsDir} (once; cached for later runs)`);
  const started = performance.now();
  await writeFixtureStore(runsDir, { count: runs, concurrency: 64 });
  log(`query fixture: wrote ${runs} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await writeFile(done, '');
  return runsDir;
}

/** Wall time of one process to completion, in ms. */
function processMs(args: string[], what: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}): ${result.stderr}`);
  return performance.now() - started;
}

/** Sequential GET times in ms, sorted, after 10 warm-up requests. */
export async function getLatencies(url: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 10; i++) {
    const t = performance.now();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    await res.text();
    if (i >= 10) times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

export interface QueryFigures {
  /** `runs reindex`, when it ran (a fixture without an index, or --reindex). */
  reindexMs: number | null;
  cliListP50Ms: number;
  cliSearchP50Ms: number;
  /** Daemon start until its watcher finished scanning the store. */
  daemonScanMs: number;
  apiSearchP50Ms: number;
  apiSearchP99Ms: number;
}

/** Times the CLI of `dist` on `runsDir`, then the API search of a daemon of it, after its initial scan. */
export async function measureQueries(
  dist: string,
  runsDir: string,
  workDir: string,
  config: Record<string, unknown>,
  sizes: { cliRepeats: number; apiRequests: number; reindex: boolean },
  warn: (problem: string) => void,
): Promise<QueryFigures> {
  const { cliRepeats, apiRequests, reindex } = sizes;
  const cli = resolve(dist, 'cli/main.js');
  const runs = (args: string[]): number => processMs([cli, 'runs', ...args, '--runs-dir', runsDir, '--json'], `paracle runs ${args.join(' ')}`);
  // A cached fixture keeps the index of its first run (rebuilding 100k runs takes minutes).
  const reindexMs = reindex || !existsSync(join(runsDir, '.index')) ? runs(['reindex']) : null;
  const list = Array.from({ length: cliRepeats }, () => runs(['list', '--limit', '20'])).sort((a, b) => a - b);
  const search = Array.from({ length: cliRepeats }, () => runs(['search', ...SEARCH_ARGS])).sort((a, b) => a - b);

  const started = performance.now();
  const daemon = await startDaemon(dist, runsDir, workDir, config, { PARACLE_LOG_LEVEL: 'debug' });
  try {
    // The run index's watcher logs this (at debug) once its initial scan of the store is done.
    while (!(await readFile(daemon.logFile, 'utf8')).includes('watching the runs dir')) await sleep(50);
    const daemonScanMs = performance.now() - started;
    const api = await getLatencies(`${daemon.httpUrl}/api/v1/runs?${SEARCH_QUERY}`, apiRequests);
    return {
      reindexMs,
      cliListP50Ms: percentile(list, 50),
      cliSearchP50Ms: percentile(search, 50),
      daemonScanMs,
      apiSearchP50Ms: percentile(api, 50),
      apiSearchP99Ms: percentile(api, 99),
    };
  } finally {
    const problem = await daemon.stop();
    if (problem) warn(`query daemon: ${problem}`);
  }
}

/** Baseline of a CLI figure: a Node process that does nothing (`node -e 0`), p50 of `repeats`. */
export function nodeStartMs(repeats: number): number {
  const times = Array.from({ length: repeats }, () => processMs(['-e', '0'], 'node -e 0')).sort((a, b) => a - b);
  return percentile(times, 50);
}
