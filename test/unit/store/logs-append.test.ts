import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendRunLogs, appendUntracedLogs, newRunId, readRunFile, writeRun } from '../../../src/store/index.js';
import { formatLogLine, mergeLogs, renderLogs } from '../../../src/store/logs-format.js';
import { START_MS, agentRecord, logLine, tempDir } from './records.js';

let runsDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  let root: string;
  ({ dir: root, cleanup } = await tempDir());
  runsDir = join(root, 'runs');
});
afterEach(async () => cleanup());

const lines = (text: string): string[] => text.trimEnd().split('\n');

describe('mergeLogs', () => {
  it('adds new lines in time order and never repeats a line already there', () => {
    const first = logLine(10, { message: 'first' });
    const third = logLine(30, { message: 'third' });
    const existing = renderLogs([first, third]);
    const merged = mergeLogs(existing, [third, logLine(20, { message: 'second' }), first, logLine(40, { message: 'fourth' })]);
    expect(lines(merged).map((l) => /msg="(\w+)"/.exec(l)?.[1])).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('keeps repeats the new lines really add, and lines only in the old text', () => {
    const same = logLine(10, { message: 'same' });
    const merged = mergeLogs(renderLogs([same, logLine(5, { message: 'old only' })]), [same, same]);
    expect(lines(merged)).toEqual([formatLogLine(logLine(5, { message: 'old only' })), formatLogLine(same), formatLogLine(same)]);
  });

  it('is renderLogs for an empty file and the file for no lines', () => {
    const some = [logLine(2), logLine(1)];
    expect(mergeLogs('', some)).toBe(renderLogs(some));
    expect(mergeLogs(renderLogs(some), [])).toBe(renderLogs(some));
    expect(mergeLogs('', [])).toBe('');
  });
});

describe('appendRunLogs', () => {
  it('adds lines to logs.txt of a stored run and leaves every other file alone', async () => {
    const runId = newRunId(START_MS);
    const location = { kind: 'agent' as const, runId };
    await writeRun(runsDir, { runId, record: agentRecord({ logs: [logLine(10, { message: 'event' })] }), traceJson: '{}' });
    const metadataPath = join(runsDir, 'agents', runId, 'metadata.yaml');
    const before = (await stat(metadataPath)).mtimeMs;
    expect(await appendRunLogs(runsDir, location, [logLine(5, { message: 'late' })])).toBe(true);
    const text = await readRunFile(runsDir, 'agent', runId, 'logs.txt');
    expect(lines(text ?? '').map((l) => /msg="(\w+)"/.exec(l)?.[1])).toEqual(['late', 'event']);
    expect((await stat(metadataPath)).mtimeMs).toBe(before);
  });

  it('keeps records added late when the run is written again (late spans)', async () => {
    const runId = newRunId(START_MS);
    const record = agentRecord({ logs: [logLine(10, { message: 'event' })] });
    await writeRun(runsDir, { runId, record, traceJson: '{}' });
    await appendRunLogs(runsDir, { kind: 'agent', runId }, [logLine(20, { message: 'record' })]);
    await writeRun(runsDir, { runId, record: { ...record, logs: [...record.logs, logLine(30, { message: 'more' })] }, traceJson: '{}' });
    const text = await readRunFile(runsDir, 'agent', runId, 'logs.txt');
    expect(lines(text ?? '').map((l) => /msg="(\w+)"/.exec(l)?.[1])).toEqual(['event', 'record', 'more']);
  });

  it('writes nothing and says so when the run is not stored', async () => {
    expect(await appendRunLogs(runsDir, { kind: 'agent', runId: newRunId(START_MS) }, [logLine(1)])).toBe(false);
    await expect(readdir(runsDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('appendUntracedLogs', () => {
  it('appends lines to one file per UTC day of their time', async () => {
    const dayMs = 24 * 3600 * 1000;
    await appendUntracedLogs(runsDir, [logLine(dayMs, { message: 'tomorrow' }), logLine(0, { message: 'today' })]);
    await appendUntracedLogs(runsDir, [logLine(1, { message: 'again' })]);
    expect((await readdir(join(runsDir, 'untraced'))).sort()).toEqual(['2026-01-06.log', '2026-01-07.log']);
    const today = await readFile(join(runsDir, 'untraced', '2026-01-06.log'), 'utf8');
    expect(today).toBe(`${formatLogLine(logLine(0, { message: 'today' }))}\n${formatLogLine(logLine(1, { message: 'again' }))}\n`);
  });
});
