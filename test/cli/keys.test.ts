/**
 * `paracle keys rotate` / `keys check` / `runs shred` as users run them (the built CLI in
 * child processes) on an encrypted store with live runs, an archived run and its index:
 * a rotation killed (SIGKILL) between two key files, then resumed, leaves everything
 * readable with the new key and nothing with the old; check names each file that does not
 * open; shred makes a run unreadable from its live directory and its archive (a copy taken
 * before included) and leaves one audit line; store-changing commands refuse while a daemon
 * serves the runs dir, and shred goes through the daemon instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, keysDirOf, parseMasterKey, type MasterKey } from '../../src/crypt/index.js';
import { archiveRun, openStoreEncryption } from '../../src/store/index.js';
import { useStoreCodec } from '../../src/store/codec.js';
import { archiveFile } from '../../src/store/archive/layout.js';
import { makeTempDir, removeTempDir, runCli, spawnDaemon } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
let dir: string;
let runsDir: string;
let runs: FixtureRun[];
const keys: Record<'old' | 'next', { file: string; config: string; master: MasterKey }> = {} as never;
let archived: FixtureRun;

async function makeKey(name: 'old' | 'next'): Promise<void> {
  const file = join(dir, `${name}.key`);
  const text = randomBytes(32).toString('hex');
  await writeFile(file, `${text}\n`, { mode: 0o600 });
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, `paracle_config:\n  privacy:\n    encryption:\n      enabled: true\n      key_file: ${file}\n`);
  keys[name] = { file, config, master: parseMasterKey(text, file) };
}

const cli = (args: string[], key: 'old' | 'next', env: NodeJS.ProcessEnv = {}) => runCli([...args, '--runs-dir', runsDir, '--config', keys[key].config], env);

beforeAll(async () => {
  dir = await makeTempDir('paracle-keys-');
  runsDir = join(dir, 'runs');
  await makeKey('old');
  await makeKey('next');
  openStoreEncryption(runsDir, keys.old.master);
  runs = await writeFixtureStore(runsDir, { count: 12, nowMs: NOW, index: true });
  archived = runs.find((r) => r.kind === 'agent' && r.artifacts.length === 0 && r.status !== 'running')!;
  await archiveRun(runsDir, { kind: 'agent', runId: archived.runId }, NOW);
  useStoreCodec(runsDir, null);
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('paracle keys check', () => {
  it('opens every file with the configured key, then names a damaged one (exit 1)', async () => {
    const ok = await cli(['keys', 'check'], 'old');
    expect(ok.stderr).not.toMatch(/paracle: \//);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`file\\(s\\) of .* open with key id ${keys.old.master.id}`));
    const victim = join(runsDir, 'agents', runs.find((r) => r.kind === 'agent' && r.runId !== archived.runId)!.runId, 'output.json');
    const original = await readFile(victim);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 5]! ^= 1;
    await writeFile(victim, flipped);
    const bad = await cli(['keys', 'check'], 'old');
    await writeFile(victim, original);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`paracle: ${victim}: `);
    expect(bad.stderr.match(/^paracle: \//gm)).toHaveLength(1);
  });
});

describe('paracle keys rotate', () => {
  it('killed between two key files, then resumed: everything opens with the new key, nothing with the old', async () => {
    const before = new KeyStore(keysDirOf(runsDir), keys.old.master).ids();
    expect(before.length).toBeGreaterThan(10);
    const killed = await cli(['keys', 'rotate', '--new-key-file', keys.next.file], 'old', { PARACLE_TEST_CRASH_AT: 'key-rewrapped:3' });
    expect(killed.signal).toBe('SIGKILL');
    const half = new KeyStore(keysDirOf(runsDir), keys.old.master);
    const wrappedBy = before.map((id) => half.wrappedBy(id));
    expect(wrappedBy.filter((id) => id === keys.next.master.id)).toHaveLength(3);
    expect(half.wrappedBy('store')).toBe(keys.old.master.id);
    // Half-way, check names the key files the configured key no longer opens.
    expect((await cli(['keys', 'check'], 'old')).code).toBe(1);

    const resumed = await cli(['keys', 'rotate', '--new-key-file', keys.next.file], 'old');
    expect(resumed.stderr).toContain(`re-wrapping data keys: ${before.length}/${before.length}`);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`re-wrapped ${before.length - 3} data key(s) (3 already) from key id ${keys.old.master.id} to key id ${keys.next.master.id}`);
    const after = new KeyStore(keysDirOf(runsDir), keys.next.master);
    expect(new Set(before.map((id) => after.wrappedBy(id)))).toEqual(new Set([keys.next.master.id]));

    expect((await cli(['keys', 'check'], 'next')).code).toBe(0);
    const list = await cli(['runs', 'list', '--limit', '100', '--json'], 'next');
    expect(list.code).toBe(0);
    // Every live run (the archived one is read by id).
    expect((JSON.parse(list.stdout) as { runs: unknown[] }).runs).toHaveLength(runs.length - 1);
    const input = await cli(['runs', 'get', archived.runId, '--json'], 'next');
    expect(input.code).toBe(0);
    for (const args of [['runs', 'list'], ['runs', 'get', archived.runId], ['keys', 'check']]) {
      const old = await cli(args, 'old');
      expect(old.code).toBe(1);
      expect(old.stderr).toMatch(/does not open this store/);
    }
  });
});

describe('paracle runs shred', () => {
  it('asks for --yes off a terminal', async () => {
    const answer = await cli(['runs', 'shred', runs[0]!.runId], 'next');
    expect(answer.code).toBe(2);
    expect(answer.stderr).toMatch(/confirm with --yes/);
  });

  it('shreds an archived run: unreadable from the archive and from a copy of it; one audit line', async () => {
    const archive = archiveFile(runsDir, 'agent', archived.runId);
    const copy = await readFile(archive);
    const done = await cli(['runs', 'shred', archived.runId, '--yes', '--json'], 'next');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ run_id: archived.runId, place: 'archive', keys_destroyed: [archived.runId] });
    expect((await cli(['runs', 'get', archived.runId], 'next')).code).toBe(3);
    await expect(readFile(archive)).rejects.toThrow(/ENOENT/);
    // The copy put back where it was: its members' key is gone, so it opens nowhere.
    await mkdir(dirname(archive), { recursive: true });
    await writeFile(archive, copy);
    const check = await cli(['keys', 'check'], 'next');
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(new RegExp(`${archived.runId}.*no longer exists`));
    await rm(archive);
    const audit = await runCli(['audit', 'list', '--run', archived.runId, '--json', '--runs-dir', runsDir]);
    const lines = (JSON.parse(audit.stdout) as { action: string; actor: string; outcome: string }[]).filter((l) => l.action === 'run.shred');
    expect(lines).toEqual([expect.objectContaining({ action: 'run.shred', outcome: 'ok', actor: expect.stringMatching(/^local:/) })]);
  });

  it('refuses on the runs dir while a daemon serves it, and shreds a live run through the daemon', async () => {
    const live = runs.find((r) => r.kind === 'agent' && r.runId !== archived.runId && r.status !== 'running')!;
    const any = '127.0.0.1:0';
    const daemon = await spawnDaemon(['--config', keys.next.config, '--runs-dir', runsDir, '--http', any, '--otlp-http', any, '--otlp-grpc', any]);
    try {
      for (const args of [['runs', 'shred', live.runId, '--yes'], ['keys', 'rotate', '--new-key-file', keys.old.file]]) {
        const refused = await cli(args, 'next');
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(new RegExp(`paracle: a daemon \\(pid ${daemon.child.pid} on .*\\) serves the runs dir .*: stop it first\\.`));
      }
      const server = `http://${daemon.listening.http}`;
      const shred = await runCli(['runs', 'shred', live.runId, '--yes', '--json', '--server', server]);
      expect(shred.stderr).toBe('');
      expect(JSON.parse(shred.stdout)).toEqual({ run_id: live.runId, place: 'live', keys_destroyed: [live.runId] });
      await expect(readdir(join(runsDir, 'agents', live.runId))).rejects.toThrow(/ENOENT/);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    const audit = await runCli(['audit', 'list', '--run', live.runId, '--json', '--runs-dir', runsDir]);
    const lines = (JSON.parse(audit.stdout) as { action: string; outcome: string }[]).filter((l) => l.action === 'run.shred');
    expect(lines).toEqual([expect.objectContaining({ action: 'run.shred', outcome: 'ok' })]);
    // The daemon gone, the runs dir is free again.
    expect(new KeyStore(keysDirOf(runsDir), keys.next.master).get(live.runId)).toBeNull();
    expect((await cli(['keys', 'check'], 'next')).code).toBe(0);
  });
});
