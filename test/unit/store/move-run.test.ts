import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, moveRun, newRunId, readRunFile, writeRun } from '../../../src/store/index.js';
import { START_MS, agentRecord, tempDir, thrownBy } from './records.js';

let runsDir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const made = await tempDir();
  runsDir = join(made.dir, 'runs');
  cleanup = made.cleanup;
});
afterEach(async () => cleanup());

describe('moveRun', () => {
  it('moves a run to another kind and id, creating the target folder', async () => {
    const from = { kind: 'agent' as const, runId: newRunId(START_MS) };
    const to = { kind: 'workflow' as const, runId: newRunId(START_MS - 1000) };
    await writeRun(runsDir, { runId: from.runId, record: agentRecord(), traceJson: '{"x":1}' });
    await moveRun(runsDir, from, to);
    expect(await readRunFile(runsDir, 'workflow', to.runId, 'trace.json')).toBe('{"x":1}');
    expect(await readRunFile(runsDir, 'agent', from.runId, 'trace.json')).toBeNull();
  });

  it('does nothing when source and target are the same', async () => {
    const at = { kind: 'agent' as const, runId: newRunId(START_MS) };
    await writeRun(runsDir, { runId: at.runId, record: agentRecord(), traceJson: '{}' });
    await moveRun(runsDir, at, { ...at });
    expect(await readRunFile(runsDir, 'agent', at.runId, 'trace.json')).toBe('{}');
  });

  it('does nothing when the source does not exist', async () => {
    const to = { kind: 'agent' as const, runId: newRunId(START_MS) };
    await moveRun(runsDir, { kind: 'agent', runId: newRunId(START_MS) }, to);
    expect(await readRunFile(runsDir, 'agent', to.runId, 'metadata.yaml')).toBeNull();
  });

  it('refuses to replace a non-empty target', async () => {
    const from = { kind: 'agent' as const, runId: newRunId(START_MS) };
    const to = { kind: 'agent' as const, runId: newRunId(START_MS + 1) };
    await writeRun(runsDir, { runId: from.runId, record: agentRecord(), traceJson: '{}' });
    const target = join(runsDir, 'agents', to.runId);
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'keep'), 'x');
    const error = thrownBy(() => moveRun(runsDir, from, to));
    expect(error).toBeInstanceOf(StoreError);
    expect(['ENOTEMPTY', 'EEXIST']).toContain((error as StoreError).errnoCode);
    expect((error as StoreError).operation).toBe('rename');
  });
});
