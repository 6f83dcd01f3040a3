import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/index.js';
import { Maintenance } from '../../src/maintenance/index.js';
import { listArchives, RunCatalog, RunStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { snapshotTree, writeAgedRuns, type WrittenRun } from '../helpers/aged-runs.js';
import { CLI_PATH, makeTempDir, removeTempDir, runCli } from '../helpers/daemon.js';
import { textArtifact } from '../unit/store/records.js';

let runsDir: string;
let runs: WrittenRun[];

beforeEach(async () => {
  runsDir = await makeTempDir('paracle-cleanup-');
  // Relative to the real clock: the CLI judges ages by it. Four runs of 1, 2, 20 and 40 days.
  runs = await writeAgedRuns(
    runsDir,
    [1, 2, 20, 40].map((ageDays) => ({ id: 'coder', ageDays, artifacts: [textArtifact('report.md', `# report ${ageDays}\n`)] })),
    Date.now(),
  );
});
afterEach(async () => removeTempDir(runsDir));

const cleanup = (...args: string[]) => runCli(['runs', 'cleanup', '--runs-dir', runsDir, ...args]);

/** Each run as a reader sees it, from wherever it is. */
async function readRuns(): Promise<unknown[]> {
  const store = new RunStore(runsDir, await RunCatalog.open(runsDir));
  try {
    return await Promise.all(
      runs.map(async ({ runId }) => {
        const detail: Record<string, unknown> = { ...(await store.get(runId)) };
        delete detail.place;
        const trace = (await buffer(await store.openFile(runId, 'trace'))).toString();
        const report = (await buffer(await store.openArtifact(runId, 'report.md'))).toString();
        return { detail, trace, report };
      }),
    );
  } finally {
    store.catalog.close();
  }
}

async function places(): Promise<{ live: string[]; archive: string[] }> {
  const live = Object.keys(await snapshotTree(join(runsDir, 'agents'))).filter((p) => p.endsWith('/metadata.yaml')).map((p) => p.split('/')[0]!);
  return { live: live.sort(), archive: (await listArchives(runsDir)).map((a) => a.runId).sort() };
}

const ids = (list: WrittenRun[]) => list.map((r) => r.runId).sort();

describe('paracle runs cleanup', () => {
  it('--dry-run lists what would leave and changes nothing', async () => {
    const before = await snapshotTree(runsDir);
    const result = await cleanup('--older-than', '10d', '--dry-run');
    expect(result.stderr).not.toMatch(/error|failed/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ACTION\s+RUN_ID\s+KIND\s+ID\s+REASON/);
    for (const run of runs.slice(2)) expect(result.stdout).toContain(run.runId);
    expect(result.stdout).toContain('dry run, nothing changed: would have 2 archived');
    const after = await snapshotTree(runsDir);
    // The index and the audit trail (who asked for the dry run) are the store's bookkeeping.
    const drop = (tree: Record<string, string>) => Object.keys(tree).filter((p) => !p.startsWith('.index/') && !p.startsWith('.audit/'));
    expect(drop(after)).toEqual(drop(before));
  });

  it('archives runs past --older-than; get and artifacts --cat read them back identical', async () => {
    const before = await readRuns();
    const archivedRun = runs[3]!;
    const report = await readFile(join(runsDir, 'agents', archivedRun.runId, 'artifacts', 'report.md'), 'utf8');
    const result = await cleanup('--older-than', '10d', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { dry_run: boolean; reports: { job: string; actions: { run_id: string; action: string }[] }[] };
    expect(json.dry_run).toBe(false);
    expect(json.reports.map((r) => r.job)).toEqual(['retention', 'archival']);
    expect(json.reports[0]!.actions.map((a) => a.run_id).sort()).toEqual(ids(runs.slice(2)));
    expect(await places()).toEqual({ live: ids(runs.slice(0, 2)), archive: ids(runs.slice(2)) });
    expect(await readRuns()).toEqual(before);

    const get = await runCli(['runs', 'get', archivedRun.runId, '--runs-dir', runsDir, '--json']);
    expect(JSON.parse(get.stdout)).toMatchObject({ run_id: archivedRun.runId, place: 'archive' });
    const cat = await runCli(['runs', 'artifacts', archivedRun.runId, '--cat', 'report.md', '--runs-dir', runsDir]);
    expect(cat.stdout).toBe(report);
    const list = await runCli(['runs', 'list', '--runs-dir', runsDir, '--json']);
    expect((JSON.parse(list.stdout) as { runs: { run_id: string }[] }).runs.map((r) => r.run_id).sort()).toEqual(ids(runs.slice(0, 2)));
  });

  it('prints and extracts compressed artifacts as they were written', async () => {
    const content = 'a line the agent wrote\n'.repeat(2000);
    const [run] = await writeAgedRuns(runsDir, [{ id: 'writer', ageDays: 1, artifacts: [textArtifact('big.txt', content)] }], Date.now());
    const store = new RunStore(runsDir, await RunCatalog.open(runsDir));
    const maintenance = new Maintenance({ store, policy: { ...defaultConfig().runs, artifacts: { compress_over_bytes: 1000 } }, logger: silentLogger() });
    expect((await maintenance.run('compression')).actions).toHaveLength(1);
    store.catalog.close();
    const cat = await runCli(['runs', 'artifacts', run!.runId, '--cat', 'big.txt', '--runs-dir', runsDir]);
    expect(cat.stdout).toBe(content);
    const listed = await runCli(['runs', 'artifacts', run!.runId, '--runs-dir', runsDir, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual({ run_id: run!.runId, artifacts: [{ path: 'big.txt', size: content.length, compressed: true }] });
    const out = join(runsDir, '..', `extract-${run!.runId}`);
    await runCli(['runs', 'artifacts', run!.runId, '--extract', out, '--runs-dir', runsDir]);
    expect(await readFile(join(out, 'big.txt'), 'utf8')).toBe(content);
    await removeTempDir(out);
  });

  it('shows a progress bar on a terminal only', async () => {
    const command = [process.execPath, CLI_PATH, 'runs', 'cleanup', '--runs-dir', runsDir, '--older-than', '10d'].map((a) => `'${a}'`).join(' ');
    // `script` gives the command a pseudo-terminal, as a user's shell would.
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/retention\s+\[#{30}\] 2\/2/);
    expect(tty.stdout).toContain('2 archived');
    const piped = await cleanup('--older-than', '10d');
    expect(piped.stderr).not.toContain('[');
  });

  it('refuses a bad --older-than with exit 2', async () => {
    const result = await cleanup('--older-than', 'a while');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^paracle: --older-than "a while" is not a duration/);
  });
});

describe('a cleanup killed at any step of archival', () => {
  // `:2` kills it in the middle of the second run's move, after the first one finished.
  const steps = ['manifest', 'packed', 'placed', 'verified', 'retired', 'removed', 'placed:2', 'retired:2'];

  it.each(steps)('after "%s" leaves every run readable and a rerun finishes the work', async (step) => {
    const original = await readRuns();
    const crashed = await runCli(['runs', 'cleanup', '--runs-dir', runsDir, '--older-than', '10d'], { PARACLE_TEST_CRASH_AT: step });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await readRuns()).toEqual(original);
    const rerun = await cleanup('--older-than', '10d');
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(await places()).toEqual({ live: ids(runs.slice(0, 2)), archive: ids(runs.slice(2)) });
    expect(await readRuns()).toEqual(original);
    expect(Object.keys(await snapshotTree(join(runsDir, '.trash')))).toEqual([]);
    expect(Object.keys(await snapshotTree(join(runsDir, '.archive'))).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });
});
