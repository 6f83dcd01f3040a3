import { appendFile, readFile, rm, truncate, writeFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTrail, GENESIS_HASH, readAudit, verifyAudit, type AuditEntry, type AuditLog } from '../../../src/audit/index.js';
import { chainLine } from '../../../src/audit/line.js';
import { AuditWriter } from '../../../src/audit/writer.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';

const JAN = Date.UTC(2026, 0, 31, 23, 59, 0);
const entry = (n: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({ actor: `user${n}`, action: 'run.read.output', run_id: `run${n}`, outcome: 'ok', ...extra });

describe('the audit trail', () => {
  let runsDir: string;
  let now: number;
  let logged: { level: string; message: string }[];
  const log: AuditLog = (level, message) => void logged.push({ level, message });
  const dir = (): string => join(runsDir, '.audit');
  const file = (name = '2026-01.jsonl'): string => join(dir(), name);
  const lines = async (name?: string): Promise<string[]> => (await readFile(file(name), 'utf8')).split('\n').filter(Boolean);
  const trail = (options: { retentionDays?: number } = {}): AuditTrail => new AuditTrail({ runsDir, log, clock: () => now, ...options });

  beforeEach(async () => {
    runsDir = await makeTempDir('paracle-audit-');
    now = JAN;
    logged = [];
  });
  afterEach(async () => removeTempDir(runsDir));

  async function recordFive(): Promise<void> {
    const t = trail();
    await t.start();
    for (let n = 1; n <= 5; n++) await t.record(entry(n));
    await t.shutdown();
  }

  it('writes §9 lines, chained from the genesis hash, in a folder and files only the owner reads', async () => {
    await recordFive();
    const [first, second] = (await lines()).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(first!)).toEqual(['time', 'actor', 'action', 'run_id', 'outcome', 'prev_hash', 'hash']);
    expect(first).toMatchObject({ time: new Date(JAN).toISOString(), actor: 'user1', action: 'run.read.output', run_id: 'run1', outcome: 'ok', prev_hash: GENESIS_HASH });
    expect(second!.prev_hash).toBe(first!.hash);
    expect((await stat(dir())).mode & 0o777).toBe(0o700);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect(await verifyAudit(runsDir)).toEqual({ files: 1, lines: 5, head: (JSON.parse((await lines()).at(-1)!) as { hash: string }).hash, problem: null });
  });

  it('names an edited line', async () => {
    await recordFive();
    const text = (await readFile(file(), 'utf8')).replace('"actor":"user3"', '"actor":"someone"');
    await writeFile(file(), text);
    expect((await verifyAudit(runsDir)).problem).toEqual({ file: '2026-01.jsonl', line: 3, message: expect.stringMatching(/edited/) as string });
  });

  it('names a line edited with its hash recomputed by the line after it', async () => {
    await recordFive();
    const all = await lines();
    const third = JSON.parse(all[2]!) as { time: string; prev_hash: string };
    all[2] = chainLine({ actor: 'someone', action: 'run.read.output', outcome: 'ok' }, third.time, third.prev_hash).text.trimEnd();
    await writeFile(file(), `${all.join('\n')}\n`);
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ line: 4, message: expect.stringMatching(/line before it was edited/) as string });
  });

  it('names an inserted line, even one with a valid hash', async () => {
    await recordFive();
    const all = await lines();
    const second = JSON.parse(all[1]!) as { time: string; hash: string };
    all.splice(2, 0, chainLine({ actor: 'forger', action: 'run.pin', outcome: 'ok' }, second.time, second.hash).text.trimEnd());
    await writeFile(file(), `${all.join('\n')}\n`);
    expect((await verifyAudit(runsDir)).problem).toEqual({ file: '2026-01.jsonl', line: 3, message: expect.stringMatching(/inserted/) as string });
  });

  it('names the line after a removed one, a removed first line, and a removed last line', async () => {
    await recordFive();
    const all = await lines();
    await writeFile(file(), `${all.filter((_, i) => i !== 1).join('\n')}\n`);
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ line: 2, message: expect.stringMatching(/removed/) as string });
    await writeFile(file(), `${all.slice(1).join('\n')}\n`);
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ line: 1, message: expect.stringMatching(/lines before it were removed/) as string });
    await writeFile(file(), `${all.slice(0, 4).join('\n')}\n`);
    expect((await verifyAudit(runsDir)).problem).toEqual({ file: '2026-01.jsonl', line: 5, message: expect.stringMatching(/the line was removed/) as string });
  });

  it('keeps the chain across months, and names a removed month', async () => {
    const t = trail();
    await t.start();
    await t.record(entry(1));
    now = JAN + 120_000; // February
    await t.record(entry(2));
    await t.shutdown();
    expect((await readdir(dir())).filter((f) => f.endsWith('.jsonl')).sort()).toEqual(['2026-01.jsonl', '2026-02.jsonl']);
    const feb = JSON.parse((await lines('2026-02.jsonl'))[0]!) as { prev_hash: string };
    expect(feb.prev_hash).toBe((JSON.parse((await lines())[0]!) as { hash: string }).hash);
    expect((await verifyAudit(runsDir)).problem).toBeNull();
    await rm(file());
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ file: '2026-02.jsonl', line: 1 });
  });

  it('cuts a line torn by a crash at the next start, with a log line, and goes on chaining', async () => {
    await recordFive();
    await appendFile(file(), '{"time":"2026-01-31T23:59:00.000Z","actor":"half');
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ line: 6, message: expect.stringMatching(/incomplete/) as string });
    const t = trail();
    await t.start();
    expect(logged).toContainEqual({ level: 'warn', message: expect.stringMatching(/cut a torn audit line/) as string });
    await t.record(entry(6));
    await t.shutdown();
    expect(await lines()).toHaveLength(6);
    expect((await verifyAudit(runsDir)).problem).toBeNull();
  });

  it('adopts complete lines a crash left unrecorded in the head', async () => {
    await recordFive();
    const head = await readFile(join(dir(), 'head.json'), 'utf8');
    await recordFive();
    await writeFile(join(dir(), 'head.json'), head); // as if the process died before recording the newest hash
    expect((await verifyAudit(runsDir)).problem).toMatchObject({ line: 10, message: expect.stringMatching(/added after the newest recorded line/) as string });
    await AuditWriter.open(runsDir, { log });
    expect(logged).toContainEqual({ level: 'warn', message: 'adopted audit lines written just before a crash' });
    expect((await verifyAudit(runsDir)).problem).toBeNull();
  });

  it('orders appends of several processes sharing a trail (the daemon and CLI commands)', async () => {
    const [a, b] = await Promise.all([AuditWriter.open(runsDir), AuditWriter.open(runsDir)]);
    await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? a : b).append([entry(n)])));
    expect(await verifyAudit(runsDir)).toMatchObject({ lines: 20, problem: null });
  });

  it('writes the first refusal of an actor and reason in a minute at once, the others summed once the minute is over', async () => {
    const t = trail();
    await t.start();
    for (let i = 0; i < 5; i++) await t.authFailure('unknown', 'unknown');
    await t.authFailure('grafana', 'role');
    const summary = (await readAudit(runsDir)).map((l) => [l.actor, l.outcome, l.count]);
    expect(summary).toEqual([['unknown', 'unknown', undefined], ['grafana', 'role', undefined]]);
    now += 60_000;
    await t.authFailure('unknown', 'unknown');
    await t.shutdown();
    expect((await readAudit(runsDir)).map((l) => [l.actor, l.outcome, l.count])).toEqual([
      ['unknown', 'unknown', undefined],
      ['grafana', 'role', undefined],
      ['unknown', 'unknown', 4],
      ['unknown', 'unknown', undefined],
    ]);
    expect((await verifyAudit(runsDir)).problem).toBeNull();
  });

  it('deletes whole months past audit_retention_days, and verifies from where the chain now starts', async () => {
    const t = trail();
    await t.start();
    await t.record(entry(1));
    now = JAN + 120_000;
    await t.record(entry(2));
    await t.shutdown();
    now = Date.UTC(2026, 2, 15); // 42 days after January ended
    const pruned = trail({ retentionDays: 30 });
    await pruned.start();
    await pruned.shutdown();
    expect((await readdir(dir())).filter((f) => f.endsWith('.jsonl'))).toEqual(['2026-02.jsonl']);
    expect(await verifyAudit(runsDir)).toMatchObject({ files: 1, lines: 1, problem: null });
    await truncate(file('2026-02.jsonl'), 0);
    expect((await verifyAudit(runsDir)).problem).not.toBeNull();
  });

  it('lists lines by time, actor and run', async () => {
    const t = trail();
    await t.start();
    await t.record(entry(1));
    now += 1000;
    await t.record(entry(2, { actor: 'user1' }));
    await t.shutdown();
    expect((await readAudit(runsDir, { actor: 'user1' })).map((l) => l.run_id)).toEqual(['run1', 'run2']);
    expect((await readAudit(runsDir, { runId: 'run2' })).map((l) => l.actor)).toEqual(['user1']);
    expect((await readAudit(runsDir, { sinceMs: JAN + 500 })).map((l) => l.run_id)).toEqual(['run2']);
  });
});
