import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStoreExporter } from '../../../src/exporter/runstore/index.js';
import { RunCatalog, locateTraceRun, newRunId, registerTraceRun, writeRun, type IndexedWrite } from '../../../src/store/index.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { TraceBuilder } from '../../helpers/span-builder.js';
import { agentRecord } from '../store/records.js';

let runsDir: string;
let catalog: RunCatalog;
let started: RunStoreExporter[] = [];
let indexing: Promise<unknown>[] = [];
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-trace-map-');
  catalog = await RunCatalog.open(runsDir);
});
afterEach(async () => {
  await Promise.all(started.map((e) => e.shutdown()));
  started = [];
  catalog.close();
  await removeTempDir(runsDir);
});

/** An exporter whose map misses fall back to the run index, as in the daemon (a fresh one: as after a restart). */
async function exporter(): Promise<RunStoreExporter> {
  const index = {
    runWritten: (w: IndexedWrite) => void indexing.push(catalog.apply([...(w.replaced ? [{ remove: w.replaced.runId }] : []), { upsert: w, written: w }])),
    locateTrace: (traceId: string) => locateTraceRun(catalog, traceId),
  };
  const pricing = { overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null };
  const e = new RunStoreExporter({ runsDir, unrecognized: 'agent', pricing, index }, silentLogger(), new Metrics({ defaultMetrics: false }));
  await e.start();
  started.push(e);
  return e;
}

function agentTrace(traceId: string) {
  const b = new TraceBuilder({ traceId });
  const root = b.span('invoke_agent coder', { startMs: 0, endMs: 1500, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' } });
  const chat = b.span('chat gpt-4o', { parent: root, startMs: 10, endMs: 20, attributes: { 'gen_ai.operation.name': 'chat' } });
  return { b, root, chat };
}

/** The run directories, once the index has taken every write. */
async function agentDirs(): Promise<string[]> {
  await Promise.all(indexing);
  indexing = [];
  return (await readdir(join(runsDir, 'agents'))).filter((n) => !n.startsWith('.'));
}

describe('the run-store exporter and the trace -> run map', () => {
  it('finds a running run written before a restart through the index, and moves it when the root moves its start', async () => {
    const { b, root, chat } = agentTrace('44444444444444444444444444444444');
    const first = await exporter();
    await first.consumeTrace(b.trace('started', [chat]));
    await first.shutdown();
    const [running] = await agentDirs();
    const later = await exporter();
    await later.consumeTrace(b.trace('complete', [root]));
    const dirs = await agentDirs();
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).not.toBe(running);
    expect(locateTraceRun(catalog, b.traceId)).toMatchObject({ runId: dirs[0], final: true });
  });

  it('writes the spans of a trace registered to a pending run into that run, which keeps its id', async () => {
    const { b, root, chat } = agentTrace('55555555555555555555555555555555');
    const pendingId = newRunId(Date.now());
    writeRun(runsDir, { runId: pendingId, record: agentRecord({ traceId: b.traceId, status: 'pending' }), traceJson: '' }, { metadataOnly: true });
    await registerTraceRun(catalog, b.traceId, { kind: 'agent', runId: pendingId });
    await (await exporter()).consumeTrace(b.trace('complete', [root, chat]));
    expect(await agentDirs()).toEqual([pendingId]);
    expect(locateTraceRun(catalog, b.traceId)).toMatchObject({ runId: pendingId, final: true });
  });
});
