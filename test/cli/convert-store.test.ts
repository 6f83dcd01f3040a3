/**
 * `paracle keys encrypt-store` / `decrypt-store` as users run them (the built CLI in child
 * processes) on a store with live runs, an archived run, a staged-upload-free index and a
 * write-ahead log segment: each killed (SIGKILL) part-way, the store is refused with a
 * sentence naming the command; run again, it finishes. Encrypted, no marker is left in any
 * byte of the runs dir and every file opens with the key; decrypted again, the store answers
 * exactly what it answered before, and needs no key.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRun } from '../../src/store/index.js';
import { encodeRecord, RecordType } from '../../src/wal/index.js';
import { scanTree } from '../helpers/byte-scan.js';
import { makeTempDir, removeTempDir, runCli } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
let dir: string;
let runsDir: string;
let runs: FixtureRun[];
let archived: FixtureRun;
let plainConfig: string;
let encConfig: string;
const walMarker = `wal-marker-${randomBytes(4).toString('hex')}`;
const answers: Record<string, string> = {};

const cli = (args: string[], config: string, env: NodeJS.ProcessEnv = {}) => runCli([...args, '--runs-dir', runsDir, '--config', config], env);

/** What the store answers: every live run listed, and the archived run's detail and input. */
async function storeAnswers(config: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const args of [['runs', 'list', '--limit', '100', '--json'], ['runs', 'get', archived.runId, '--json'], ['runs', 'search', '--text', runs[2]!.marker, '--json']]) {
    const answer = await cli(args, config);
    expect(answer.stderr.replace(/^paracle: .*run index.*\n/gm, '')).toBe('');
    expect(answer.code).toBe(0);
    out[args.join(' ')] = answer.stdout;
  }
  return out;
}

beforeAll(async () => {
  dir = await makeTempDir('paracle-convert-');
  runsDir = join(dir, 'runs');
  const keyFile = join(dir, 'master.key');
  await writeFile(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  plainConfig = join(dir, 'plain.yaml');
  encConfig = join(dir, 'enc.yaml');
  const section = (enabled: boolean) => `paracle_config:\n  privacy:\n    encryption:\n      enabled: ${enabled}\n      key_file: ${keyFile}\n`;
  await writeFile(plainConfig, section(false));
  await writeFile(encConfig, section(true));
  await mkdir(runsDir, { mode: 0o700 });
  runs = await writeFixtureStore(runsDir, { count: 12, nowMs: NOW, index: true });
  archived = runs.find((r) => r.kind === 'agent' && r.status !== 'running')!;
  await archiveRun(runsDir, { kind: 'agent', runId: archived.runId }, NOW);
  // A segment the daemon left (traces still assembling when it stopped).
  await mkdir(join(runsDir, '.wal'), { recursive: true, mode: 0o700 });
  await writeFile(join(runsDir, '.wal', '0000000000000007.wal'), Buffer.concat([encodeRecord(RecordType.TRACES_JSON, Buffer.from(`{"x":"${walMarker}"}`)), encodeRecord(RecordType.LOGS_JSON, Buffer.from('{}'))]), { mode: 0o600 });
  Object.assign(answers, await storeAnswers(plainConfig));
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('paracle keys encrypt-store', () => {
  it('killed part-way: the store is refused until it is run again; then nothing is left in clear', async () => {
    const needles = [walMarker, ...runs.map((r) => r.marker)];
    expect((await scanTree(runsDir, needles)).length).toBeGreaterThan(runs.length);
    const killed = await cli(['keys', 'encrypt-store'], encConfig, { PARACLE_TEST_CRASH_AT: 'store-file-converted:5' });
    expect(killed.signal).toBe('SIGKILL');
    for (const config of [plainConfig, encConfig]) {
      const refused = await cli(['runs', 'list'], config);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/a conversion of the runs dir .* to encrypted was interrupted: run `paracle keys encrypt-store` again to finish it\./);
    }
    const resumed = await cli(['keys', 'encrypt-store'], encConfig);
    expect(resumed.stderr).toMatch(/encrypting files: (\d+)\/\1\n/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/encrypted \d+ file\(s\) and archive\(s\) and 1 log segment\(s\)/);
    expect(await scanTree(runsDir, needles)).toEqual([]);
    const check = await cli(['keys', 'check'], encConfig);
    expect(check.stderr).not.toMatch(/paracle: \//);
    expect(check.code).toBe(0);
    expect(await storeAnswers(encConfig)).toEqual(answers);
    expect((await cli(['runs', 'list'], plainConfig)).stderr).toMatch(/holds an encrypted store but privacy.encryption.enabled is false/);
    expect((await cli(['keys', 'encrypt-store'], encConfig)).stderr).toMatch(/holds an encrypted store already/);
  });
});

describe('paracle keys decrypt-store', () => {
  it('killed part-way, then run again: the store answers as before, in clear, without keys', async () => {
    const killed = await cli(['keys', 'decrypt-store'], encConfig, { PARACLE_TEST_CRASH_AT: 'store-file-converted:4' });
    expect(killed.signal).toBe('SIGKILL');
    expect((await cli(['runs', 'list'], encConfig)).stderr).toMatch(/to plaintext was interrupted: run `paracle keys decrypt-store` again/);
    const resumed = await cli(['keys', 'decrypt-store'], encConfig);
    expect(resumed.code).toBe(0);
    expect(await readdir(runsDir)).not.toContain('.keys');
    expect(await storeAnswers(plainConfig)).toEqual(answers);
    const hits = await scanTree(runsDir, [walMarker]);
    expect(hits.map((h) => h.file)).toEqual([join(runsDir, '.wal', '0000000000000007.wal')]);
  });
});
