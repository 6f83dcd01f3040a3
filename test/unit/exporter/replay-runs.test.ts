import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStoreExporter } from '../../../src/exporter/runstore/index.js';
import { replayParentSpanId } from '../../../src/model/index.js';
import { pendingRecord } from '../../../src/replay/pending.js';
import { RunCatalog, locateTraceRun, type IndexedWrite } from '../../../src/store/index.js';
import { createReplayRun } from '../../../src/store/replay-run.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

const TRACE = '9e1f2a3b4c5d6e7f8091a2b3c4d5e6f7';
const ORIGINAL = '01HN7X8K9M2PQRSTVVWXYZ3456';
// Asked for well before the agent started: its id's time is not the run's start time.
const REPLAY_ID = '01HN7X0000AAAAAAAAAAAAAAAA';

let runsDir: string;
let catalog: RunCatalog;
let exporter: RunStoreExporter | null = null;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-replay-runs-');
  catalog = await RunCatalog.open(runsDir);
});
afterEach(async () => {
  await exporter?.shutdown();
  exporter = null;
  catalog.close();
  await removeTempDir(runsDir);
});

describe('RunStoreExporter and a pending replay', () => {
  it('writes the replay into the run created for it, keeping its id, linked to the original though the agent does not say so', async () => {
    const original = { runId: ORIGINAL, kind: 'agent' as const, subjectId: 'coder', name: null };
    const record = pendingRecord(original, TRACE, Date.UTC(2026, 0, 6, 10, 0));
    await createReplayRun(runsDir, catalog, { traceId: TRACE, runId: REPLAY_ID, record, input: Buffer.from('{"a": 1}\n') });
    expect(await readFile(join(runsDir, 'agents', REPLAY_ID, 'metadata.yaml'), 'utf8')).toMatch(/^status: "pending"$/m);
    expect(locateTraceRun(catalog, TRACE)).toEqual({ kind: 'agent', runId: REPLAY_ID, final: false, keepsId: true, replayOf: ORIGINAL });

    const written: IndexedWrite[] = [];
    const indexing: Promise<unknown>[] = [];
    const index = {
      runWritten: (w: IndexedWrite) => {
        written.push(w);
        indexing.push(catalog.apply([{ upsert: w, written: w }]));
      },
      locateTrace: (traceId: string) => locateTraceRun(catalog, traceId),
    };
    const pricing = { overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null };
    exporter = new RunStoreExporter({ runsDir, unrecognized: 'agent', pricing, index }, silentLogger(), new Metrics({ defaultMetrics: false }));
    await exporter.start();
    const b = new TraceBuilder({ traceId: TRACE });
    const top = b.span('invoke_agent coder', { parent: replayParentSpanId(TRACE), endMs: 900, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' } });
    const chat = b.span('chat', { parent: top, startMs: 10, endMs: 20, attributes: { 'gen_ai.operation.name': 'chat' } });
    await exporter.consumeTrace(b.trace('started', [chat]));
    await exporter.consumeTrace(b.trace('complete', [chat, top]));
    await Promise.all(indexing);

    expect(written.map((w) => [w.runId, w.replaced, w.metadata.status, w.metadata.replay_of])).toEqual([
      [REPLAY_ID, null, 'running', ORIGINAL],
      [REPLAY_ID, null, 'completed', ORIGINAL],
    ]);
    expect(locateTraceRun(catalog, TRACE)).toEqual({ kind: 'agent', runId: REPLAY_ID, final: true, keepsId: true, replayOf: ORIGINAL });
    // The agent reported no input: the run keeps the one it was given (the daemon's end span says it, not shown here).
    expect(await readFile(join(runsDir, 'agents', REPLAY_ID, 'input.json'), 'utf8')).toBe('null\n');
  });
});
