import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/index.js';
import { ConflictError, setFaultAction } from '../../../src/lib/index.js';
import { inTraceSample, LEASE_FOLDER, Maintenance, MaintenanceLease, type RunsPolicy } from '../../../src/maintenance/index.js';
import { listArchives, RunCatalog, RunStore, setPinned } from '../../../src/store/index.js';
import { silentLogger } from '../../../src/telemetry/index.js';
import { DAY_MS, NOW_MS, snapshotTree, writeAgedRuns, type AgedRun, type WrittenRun } from '../../helpers/aged-runs.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { textArtifact } from '../store/records.js';

let runsDir: string;
let store: RunStore;

beforeEach(async () => {
  runsDir = await makeTempDir('paracle-maint-');
});
afterEach(async () => {
  store?.catalog.close();
  await removeTempDir(runsDir);
});

function policy(runs: Record<string, unknown> = {}): RunsPolicy {
  const base = defaultConfig().runs;
  return { ...base, ...runs } as RunsPolicy;
}

async function openStore(): Promise<RunStore> {
  store?.catalog.close();
  store = new RunStore(runsDir, await RunCatalog.open(runsDir));
  return store;
}

function maintenance(runs: Record<string, unknown> = {}, nowMs = NOW_MS): Maintenance {
  return new Maintenance({ store, policy: policy(runs), logger: silentLogger(), clock: () => nowMs });
}

async function liveIds(): Promise<string[]> {
  const ids: string[] = [];
  for (const folder of ['agents', 'workflows']) {
    ids.push(...(await readdir(join(runsDir, folder)).catch(() => [] as string[])));
  }
  return ids.sort();
}

async function archivedIds(): Promise<string[]> {
  return (await listArchives(runsDir)).map((a) => a.runId).sort();
}

const ids = (runs: readonly WrittenRun[]) => runs.map((r) => r.runId).sort();

/** `count` completed runs of `id`, one a day, the newest a day old. */
function daily(id: string, count: number, extra: Partial<AgedRun> = {}): AgedRun[] {
  return Array.from({ length: count }, (_, i) => ({ id, ageDays: i + 1, ...extra }));
}

/** Everything a reader can get of a run: detail (without place), files, artifacts. */
async function readAll(runId: string): Promise<Record<string, unknown>> {
  const detail: Record<string, unknown> = { ...(await store.get(runId)) };
  delete detail.place;
  const files: Record<string, string> = {};
  for (const key of ['input', 'output', 'trace', 'logs'] as const) {
    files[key] = (await buffer(await store.openFile(runId, key))).toString('base64');
  }
  for (const artifact of await store.artifacts(runId)) {
    files[`artifacts/${artifact.path}`] = (await buffer(await store.openArtifact(runId, artifact.path))).toString('base64');
  }
  return { detail, files };
}

describe('retention', () => {
  it.each([
    ['lite', 10],
    ['standard', 50],
    ['full', 60],
  ] as const)('in %s mode keeps the newest %i runs of each agent and archives the rest', async (mode, kept) => {
    const coder = await writeAgedRuns(runsDir, daily('coder', 60));
    const planner = await writeAgedRuns(runsDir, daily('planner', 12));
    await openStore();
    const report = await maintenance({ mode, retention_days: 3650 }).run('retention');
    const plannerKept = Math.min(12, kept);
    expect(await liveIds()).toEqual([...ids(coder.slice(0, kept)), ...ids(planner.slice(0, plannerKept))].sort());
    expect(await archivedIds()).toEqual([...ids(coder.slice(kept)), ...ids(planner.slice(plannerKept))].sort());
    expect(report.failed).toBe(0);
    expect(report.actions.every((a) => a.action === 'archive' && a.reason === 'count')).toBe(true);
  });

  it('follows max_runs_per_agent over the mode, per workflow too', async () => {
    const coder = await writeAgedRuns(runsDir, daily('coder', 6));
    const flow = await writeAgedRuns(runsDir, daily('research', 5, { kind: 'workflow' }));
    await openStore();
    await maintenance({ mode: 'full', max_runs_per_agent: 2, retention_days: 3650 }).run('retention');
    expect(await liveIds()).toEqual([...ids(coder.slice(0, 2)), ...ids(flow.slice(0, 2))].sort());
  });

  it('takes out runs older than retention_days, or --older-than when given', async () => {
    const runs = await writeAgedRuns(runsDir, [5, 20, 29, 31, 200].map((ageDays) => ({ id: 'coder', ageDays })));
    await openStore();
    await maintenance({ retention_days: 30 }).run('retention');
    expect(await liveIds()).toEqual(ids(runs.slice(0, 3)));
    await maintenance({ retention_days: 30 }).run('retention', { olderThanMs: 10 * DAY_MS });
    expect(await liveIds()).toEqual(ids(runs.slice(0, 1)));
    expect(await archivedIds()).toEqual(ids(runs.slice(1)));
  });

  it('never removes a pinned run, even one pinned after the index was read', async () => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 15));
    await openStore();
    await store.setPinned(runs[14]!.runId, true);
    // Pinned behind the index's back: retention checks the run itself before moving it.
    await setPinned(runsDir, { kind: 'agent', runId: runs[13]!.runId }, true);
    const report = await maintenance({ mode: 'lite', retention_days: 3650 }).run('retention');
    expect(await liveIds()).toEqual(ids([...runs.slice(0, 10), runs[13]!, runs[14]!]));
    expect(report.actions.find((a) => a.run_id === runs[13]!.runId)?.skipped).toMatch(/pinned/);
  });

  it('never removes running runs', async () => {
    const runs = await writeAgedRuns(runsDir, [{ id: 'coder', ageDays: 400, status: 'running' }, ...daily('coder', 11)]);
    await openStore();
    await maintenance({ mode: 'lite', retention_days: 3650 }).run('retention');
    expect(await liveIds()).toEqual(ids([runs[0]!, ...runs.slice(1, 11)]));
  });

  it('deletes leaving runs when archive is false', async () => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 12));
    await openStore();
    const report = await maintenance({ mode: 'lite', retention_days: 3650, archive: false }).run('retention');
    expect(await liveIds()).toEqual(ids(runs.slice(0, 10)));
    expect(await archivedIds()).toEqual([]);
    expect(report.actions.map((a) => a.action)).toEqual(['delete', 'delete']);
    await expect(store.get(runs[11]!.runId)).rejects.toThrow(/no run/);
  });

  it('changes nothing in a dry run and reports what it would do', async () => {
    await writeAgedRuns(runsDir, daily('coder', 14));
    await openStore();
    const before = await snapshotTree(runsDir);
    const report = await maintenance({ mode: 'lite', retention_days: 3650 }).run('retention', { dryRun: true });
    const after = await snapshotTree(runsDir);
    const withoutIndex = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([p]) => !p.startsWith('.index/')));
    expect(withoutIndex(after)).toEqual(withoutIndex(before));
    expect(report.dry_run).toBe(true);
    expect(report.actions).toHaveLength(4);
  });

  it('drops leaving runs from the index', async () => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 12));
    await openStore();
    await maintenance({ mode: 'lite', retention_days: 3650 }).run('retention');
    expect(store.list({ limit: 100 }).runs.map((r) => r.run_id)).toEqual(ids(runs.slice(0, 10)).reverse());
  });
});

describe('archived runs', () => {
  it('read back byte-identical: metadata, files, artifacts and workflow steps', async () => {
    const big = textArtifact('data/big.txt', 'line of output\n'.repeat(5000));
    const runs = await writeAgedRuns(runsDir, [
      { id: 'coder', ageDays: 100, artifacts: [textArtifact('notes.md', '# notes\n'), big], children: [{}, { error: true }] },
      { id: 'research', ageDays: 100, kind: 'workflow' },
    ]);
    await openStore();
    // A compressed artifact travels into the archive compressed and still reads back as written.
    await maintenance({ artifacts: { compress_over_bytes: 1000 } }).run('compression');
    const before = await Promise.all(runs.map((r) => readAll(r.runId)));
    const step = (await buffer(await store.openFile(runs[1]!.runId, 'input', 'plan'))).toString();
    await maintenance({ retention_days: 30 }).run('retention');
    expect(await liveIds()).toEqual([]);
    expect(await Promise.all(runs.map((r) => readAll(r.runId)))).toEqual(before);
    expect((await store.get(runs[0]!.runId)).place).toBe('archive');
    expect((await store.artifacts(runs[0]!.runId)).find((a) => a.path === 'data/big.txt')).toMatchObject({ size: big.content.length, compressed: true });
    expect((await buffer(await store.openFile(runs[1]!.runId, 'input', 'plan'))).toString()).toBe(step);
    await expect(store.openArtifact(runs[0]!.runId, '../metadata.yaml')).rejects.toThrow(/plain relative path/);
    await expect(store.openArtifact(runs[0]!.runId, 'missing.txt')).rejects.toThrow(/no file/);
    await expect(store.setPinned(runs[0]!.runId, true)).rejects.toBeInstanceOf(ConflictError);
  });

  it('are deleted past archive_retention_days, counted from when they were archived', async () => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 3));
    await openStore();
    await maintenance({ retention_days: 1 }, NOW_MS).run('retention');
    expect(await archivedIds()).toEqual(ids(runs.slice(1)));
    // A year after the runs started but not after they were archived: kept.
    await maintenance({ archive_retention_days: 10 }, NOW_MS + 9 * DAY_MS).run('archival');
    expect(await archivedIds()).toEqual(ids(runs.slice(1)));
    const report = await maintenance({ archive_retention_days: 10 }, NOW_MS + 11 * DAY_MS).run('archival');
    expect(await archivedIds()).toEqual([]);
    expect(report.actions.map((a) => a.action)).toEqual(['expire', 'expire']);
    expect(await readdir(join(runsDir, '.archive', 'agents'))).toEqual([]);
  });

  it('are reported, never deleted unread, when damaged', async () => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 2));
    await openStore();
    await maintenance({ retention_days: 1 }).run('retention');
    const [archive] = await listArchives(runsDir);
    await writeFile(archive!.file, 'not gzip at all');
    const report = await maintenance({ archive_retention_days: 1 }, NOW_MS + 5 * DAY_MS).run('archival');
    expect(report.failed).toBe(1);
    expect(report.actions[0]).toMatchObject({ run_id: runs[1]!.runId, error: expect.stringMatching(/damaged/) });
    expect(await archivedIds()).toEqual([runs[1]!.runId]);
    await expect(store.get(runs[1]!.runId)).rejects.toThrow(/damaged/);
  });
});

describe('interrupted archival', () => {
  const steps = ['manifest', 'packed', 'placed', 'verified', 'retired', 'removed'];

  it.each(steps)('stopped after "%s" leaves every run readable once, and a rerun finishes it', async (step) => {
    const runs = await writeAgedRuns(runsDir, daily('coder', 4));
    await openStore();
    const before = await Promise.all(runs.map((r) => readAll(r.runId)));
    const crash = (done: string) => {
      if (done === step) throw new Error(`stopped after ${step}`);
    };
    const previous = setFaultAction(crash);
    const first = await maintenance({ retention_days: 2 }, NOW_MS).run('retention').finally(() => setFaultAction(previous));
    expect(first.failed).toBeGreaterThan(0);
    expect(await Promise.all(runs.map((r) => readAll(r.runId)))).toEqual(before);
    await openStore();
    const second = await maintenance({ retention_days: 2 }).run('retention');
    expect(second.failed).toBe(0);
    expect(await liveIds()).toEqual(ids(runs.slice(0, 2)));
    expect(await archivedIds()).toEqual(ids(runs.slice(2)));
    expect(await Promise.all(runs.map((r) => readAll(r.runId)))).toEqual(before);
    expect(Object.keys(await snapshotTree(join(runsDir, '.trash')))).toEqual([]);
    expect(Object.keys(await snapshotTree(join(runsDir, '.archive'))).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });
});

describe('sampling', () => {
  it('keeps whole traces only for the newest runs, failed and pinned ones and the sample', async () => {
    const specs: AgedRun[] = daily('coder', 40, { children: [{}, { error: true }, {}] });
    specs[30] = { ...specs[30]!, status: 'failed' };
    const runs = await writeAgedRuns(runsDir, specs);
    await openStore();
    await store.setPinned(runs[31]!.runId, true);
    const traceBefore = await readFile(join(runsDir, 'agents', runs[35]!.runId, 'trace.json'), 'utf8');
    const report = await maintenance({ traces: { sample_after_runs: 10, sample_rate: 0.3 } }).run('sampling');
    const expected = runs
      .slice(10)
      .filter((r, i) => i + 10 !== 30 && i + 10 !== 31 && !inTraceSample(r.traceId, 0.3));
    expect(report.actions.map((a) => a.run_id).sort()).toEqual(ids(expected));
    expect(expected.length).toBeGreaterThan(5);
    for (const run of runs) {
      const trimmed = expected.includes(run);
      const detail = await store.get(run.runId);
      expect(detail.trace_sampled).toBe(trimmed ? false : undefined);
      const trace = JSON.parse(await readFile(join(runsDir, 'agents', run.runId, 'trace.json'), 'utf8'));
      const names = trace.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
      expect(names).toEqual(trimmed ? ['invoke_agent', 'step-3'] : ['invoke_agent', 'step-2', 'step-3', 'step-4']);
    }
    if (!expected.some((r) => r.runId === runs[35]!.runId)) {
      expect(await readFile(join(runsDir, 'agents', runs[35]!.runId, 'trace.json'), 'utf8')).toBe(traceBefore);
    }
    const again = await maintenance({ traces: { sample_after_runs: 10, sample_rate: 0.3 } }).run('sampling');
    expect(again.actions).toEqual([]);
  });
});

describe('compression', () => {
  it('compresses a 12 MB artifact in place and reads it back identical', async () => {
    const words = Array.from({ length: 2_400_000 }, (_, i) => `w${(i * 2654435761) % 9973}`).join(' ');
    const big = textArtifact('out/big.log', words.slice(0, 12 * 1024 * 1024));
    expect(big.content.length).toBe(12 * 1024 * 1024);
    const [run] = await writeAgedRuns(runsDir, [{ id: 'coder', ageDays: 1, artifacts: [big, textArtifact('small.txt', 'small')] }]);
    await openStore();
    const report = await maintenance().run('compression');
    expect(report.actions.map((a) => [a.action, a.reason])).toEqual([['compress', 'artifacts/out/big.log']]);
    const onDisk = await readFile(join(runsDir, 'agents', run!.runId, 'artifacts', 'out', 'big.log'));
    expect(onDisk.length).toBeLessThan(big.content.length / 2);
    expect(gunzipSync(onDisk).equals(Buffer.from(big.content))).toBe(true);
    expect((await buffer(await store.openArtifact(run!.runId, 'out/big.log'))).equals(Buffer.from(big.content))).toBe(true);
    expect(await store.artifacts(run!.runId)).toEqual([
      { path: 'out/big.log', size: big.content.length, compressed: true },
      { path: 'small.txt', size: 5 },
    ]);
    expect((await maintenance().run('compression')).actions).toEqual([]);
  });

  it('reads an artifact rewritten after compression as the plain file it now is', async () => {
    const [run] = await writeAgedRuns(runsDir, [{ id: 'coder', ageDays: 1, artifacts: [textArtifact('a.txt', 'x'.repeat(5000))] }]);
    await openStore();
    await maintenance({ artifacts: { compress_over_bytes: 100 } }).run('compression');
    const path = join(runsDir, 'agents', run!.runId, 'artifacts', 'a.txt');
    expect((await stat(path)).size).toBeLessThan(5000);
    await writeFile(path, 'rewritten by a late span');
    expect((await buffer(await store.openArtifact(run!.runId, 'a.txt'))).toString()).toBe('rewritten by a late span');
  });

  it.each(['compressed', 'recorded', 'replaced'])('stopped after "%s" leaves the artifact readable, a rerun finishes', async (step) => {
    const content = 'compressible '.repeat(2000);
    const [run] = await writeAgedRuns(runsDir, [{ id: 'coder', ageDays: 1, artifacts: [textArtifact('a.txt', content)] }]);
    await openStore();
    const crash = (done: string) => {
      if (done === step) throw new Error(`stopped after ${step}`);
    };
    const previous = setFaultAction(crash);
    await maintenance({ artifacts: { compress_over_bytes: 100 } }, NOW_MS).run('compression').finally(() => setFaultAction(previous));
    expect((await buffer(await store.openArtifact(run!.runId, 'a.txt'))).toString()).toBe(content);
    await maintenance({ artifacts: { compress_over_bytes: 100 } }).run('compression');
    expect((await store.artifacts(run!.runId))[0]).toEqual({ path: 'a.txt', size: content.length, compressed: true });
    expect((await buffer(await store.openArtifact(run!.runId, 'a.txt'))).toString()).toBe(content);
  });
});

describe('the lease', () => {
  it('lets one process run jobs at a time, and is taken over once it expires', async () => {
    await writeAgedRuns(runsDir, daily('coder', 2));
    await openStore();
    let now = NOW_MS;
    const other = new MaintenanceLease(runsDir, 60_000, () => now);
    expect(await other.acquire()).toBe(true);
    expect(await new MaintenanceLease(runsDir, 60_000, () => now).acquire()).toBe(false);
    await expect(maintenance({}, now).run('retention')).rejects.toBeInstanceOf(ConflictError);
    now += 61_000;
    const report = await new Maintenance({ store, policy: policy(), logger: silentLogger(), clock: () => now }).run('retention');
    expect(report.failed).toBe(0);
    // The old holder learns it lost the lock.
    expect(await other.renew()).toBe(false);
  });

  it('is taken over at once from a holder on this host that no longer runs', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const holder = { owner: 'killed-cli', host: hostname(), pid: Number(dead.stdout), expires_at_ms: Date.now() + 3_600_000 };
    await mkdir(join(runsDir, LEASE_FOLDER));
    await writeFile(join(runsDir, LEASE_FOLDER, 'owner.json'), JSON.stringify(holder));
    expect(await new MaintenanceLease(runsDir, 60_000).acquire()).toBe(true);
    const alive = { ...holder, pid: process.pid };
    await writeFile(join(runsDir, LEASE_FOLDER, 'owner.json'), JSON.stringify(alive));
    expect(await new MaintenanceLease(runsDir, 60_000).acquire()).toBe(false);
  });

  it('refuses a second run of a job already running here', async () => {
    await writeAgedRuns(runsDir, daily('coder', 3));
    await openStore();
    const m = maintenance({ retention_days: 1 });
    const first = m.run('retention');
    expect(() => m.run('retention')).toThrow(ConflictError);
    // Another job waits for the running one instead.
    const second = m.run('archival');
    await expect(first).resolves.toMatchObject({ failed: 0 });
    await expect(second).resolves.toMatchObject({ failed: 0 });
  });
});
