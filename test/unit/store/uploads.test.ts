import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, PayloadTooLargeError } from '../../../src/lib/index.js';
import { RunCatalog, adoptStagedUploads, newRunId, receiveArtifact, writeRun } from '../../../src/store/index.js';
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
    expect(await readdir(join(runsDir, '.uploads'))).toEqual([]);
    await catalog.upsert({ kind: 'agent', runId });
    const direct = await receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'b.txt', body: body('x'), maxBytes: 100 });
    expect(direct.run_id).toBe(runId);
  });

  it('stops a body past the limit and keeps nothing', async () => {
    const chunks = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(40)));
    await expect(receiveArtifact(runsDir, catalog, { traceId: TRACE, name: 'big.bin', body: chunks, maxBytes: 100 })).rejects.toThrow(PayloadTooLargeError);
    expect(await readdir(join(runsDir, '.uploads', TRACE))).toEqual([]);
  });

  it.each(['../x', '/etc/passwd', 'a/../../b', 'a\\..\\b', ''])('refuses the name %j', async (name) => {
    await expect(receiveArtifact(runsDir, catalog, { traceId: TRACE, name, body: body('x'), maxBytes: 100 })).rejects.toThrow(InvalidInputError);
  });
});
