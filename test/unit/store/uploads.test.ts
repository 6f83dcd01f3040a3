import { writeFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, PayloadTooLargeError } from '../../../src/lib/index.js';
import { RunCatalog, RunFiles, adoptStagedUploads, newRunId, receiveArtifact, writeRun } from '../../../src/store/index.js';
import { START_MS, agentRecord, tempDir } from './records.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
let runsDir: string;
let cleanup: () => Promise<void>;
let catalog: RunCatalog;

beforeEach(async () => {
  let root: string;
  ({ dir: root, cleanup } = await tempDir());
  runsDir = join(root, 'runs');
  await writeRun(runsDir, { runId: newRunId(START_MS - 1000), record: agentRecord({ traceId: 'f'.repeat(32) }), traceJson: '{}' });
  catalog = await RunCatalog.open(runsDir);
});
afterEach(async () => {
  catalog.close();
  await cleanup();
});

const body = (text: string): Readable => Readable.from([Buffer.from(text)]);

describe('receiveArtifact', () => {
  it('stages an upload for a trace without a run, then moves it in when the run is written', async () => {
    const staged = await receiveArtifact(runsDir, catalog, { traceId: TRACE.toUpperCase(), name: 'out/a.txt', body: body('hello'), maxBytes: 100 });
    expect(staged).toEqual({ trace_id: TRACE, run_id: null, path: 'out/a.txt', size: 5 });
    const runId = newRunId(START_MS);
    await writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' });
    expect(await adoptStagedUploads(runsDir, TRACE, { kind: 'agent', runId })).toBe(1);
    expect(await readFile(join(runsDir, 'agents', runId, 'artifacts', 'out', 'a.txt'), 'utf8')).toBe('hello');
    // Nothing waits any more; bodies stream in .incoming/, empty between uploads.
    expect(await readdir(join(runsDir, '.uploads'))).toEqual(['.incoming']);
    expect(await readdir(join(runsDir, '.uploads', '.incoming'))).toEqual([]);
    await catalog.upsert({ kind: 'agent', runId });
    const direct = await receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'b.txt', body: body('x'), maxBytes: 100 });
    expect(direct.run_id).toBe(runId);
  });

  it('stops a body past the limit and keeps nothing', async () => {
    const chunks = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(40)));
    await expect(receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'big.bin', body: chunks, maxBytes: 100 })).rejects.toThrow(PayloadTooLargeError);
    expect(await readdir(join(runsDir, '.uploads'))).toEqual(['.incoming']);
    expect(await readdir(join(runsDir, '.uploads', '.incoming'))).toEqual([]);
  });

  it('keeps an upload placed in staging while its earlier uploads are taken into the run', async () => {
    await receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'first.txt', body: body('1'), maxBytes: 100 });
    const runId = newRunId(START_MS);
    await writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' });
    // An adoption that listed the folder before the second upload landed must not delete it.
    const io = new RunFiles();
    const listTree = io.listTree.bind(io);
    io.listTree = (dir) => {
      const listed = listTree(dir);
      writeFileSync(join(dir, 'second.txt'), '2');
      return listed;
    };
    expect(adoptStagedUploads(runsDir, TRACE, { kind: 'agent', runId }, io)).toBe(1);
    expect(await readdir(join(runsDir, '.uploads', TRACE))).toEqual(['second.txt']);
    expect(adoptStagedUploads(runsDir, TRACE, { kind: 'agent', runId })).toBe(1);
    expect((await readdir(join(runsDir, 'agents', runId, 'artifacts'))).sort()).toEqual(['first.txt', 'second.txt']);
    expect(await readdir(join(runsDir, '.uploads'))).toEqual(['.incoming']);
  });

  it('stages an upload whose run directory moved since the index saw it, and makes no run directory', async () => {
    const runId = newRunId(START_MS);
    await writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' });
    await catalog.upsert({ kind: 'agent', runId });
    await rm(join(runsDir, 'agents', runId), { recursive: true });
    const placed = await receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'moved.txt', body: body('m'), maxBytes: 100 });
    expect(placed.run_id).toBeNull();
    expect(await readdir(join(runsDir, '.uploads', TRACE))).toEqual(['moved.txt']);
    expect(await readdir(join(runsDir, 'agents'))).not.toContain(runId);
  });

  it.each(['../x', '/etc/passwd', 'a/../../b', 'a\\..\\b', ''])('refuses the name %j', async (name) => {
    await expect(receiveArtifact(runsDir, catalog, { traceId: TRACE, name, body: body('x'), maxBytes: 100 })).rejects.toThrow(InvalidInputError);
  });
});
