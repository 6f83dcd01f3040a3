import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/lib/index.js';
import { RunCatalog, locateTraceRun, newRunId, registerTraceRun, writeRun } from '../../../src/store/index.js';
import { START_MS, agentRecord, tempDir } from './records.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
let runsDir: string;
let cleanup: () => Promise<void>;
let catalog: RunCatalog;

beforeEach(async () => {
  let root: string;
  ({ dir: root, cleanup } = await tempDir());
  runsDir = join(root, 'runs');
  writeRun(runsDir, { runId: newRunId(START_MS - 1000), record: agentRecord({ traceId: 'f'.repeat(32) }), traceJson: '{}' });
  catalog = await RunCatalog.open(runsDir);
});
afterEach(async () => {
  catalog.close();
  await cleanup();
});

describe('the trace -> run map (run index over metadata.yaml)', () => {
  it('finds a run by its trace once indexed; final once completed, its id kept only then', async () => {
    expect(locateTraceRun(catalog, TRACE)).toBeNull();
    const runId = newRunId(START_MS, TRACE);
    writeRun(runsDir, { runId, record: agentRecord({ status: 'running' }), traceJson: '' }, { metadataOnly: true });
    await catalog.upsert({ kind: 'agent', runId });
    expect(locateTraceRun(catalog, TRACE)).toEqual({ kind: 'agent', runId, final: false, keepsId: false, replayOf: null });
    writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' });
    await catalog.upsert({ kind: 'agent', runId });
    expect(locateTraceRun(catalog, TRACE)).toEqual({ kind: 'agent', runId, final: true, keepsId: true, replayOf: null });
  });

  it('registers a pending run made ahead of its spans, which keeps its id and the run it replays', async () => {
    const runId = newRunId(START_MS + 5000);
    const replayOf = newRunId(START_MS - 1000);
    writeRun(runsDir, { runId, record: agentRecord({ status: 'pending', replayOf }), traceJson: '' }, { metadataOnly: true });
    await registerTraceRun(catalog, TRACE, { kind: 'agent', runId });
    expect(locateTraceRun(catalog, TRACE)).toEqual({ kind: 'agent', runId, final: false, keepsId: true, replayOf });
  });

  it('refuses to register a run that does not name the trace, or has no metadata.yaml', async () => {
    const runId = newRunId(START_MS + 5000);
    writeRun(runsDir, { runId, record: agentRecord({ traceId: 'a'.repeat(32), status: 'pending' }), traceJson: '' }, { metadataOnly: true });
    await expect(registerTraceRun(catalog, TRACE, { kind: 'agent', runId })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(registerTraceRun(catalog, TRACE, { kind: 'agent', runId: newRunId(START_MS + 9000) })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
