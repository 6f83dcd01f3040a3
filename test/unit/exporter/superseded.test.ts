import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStoreExporter } from '../../../src/exporter/runstore/index.js';
import type { IndexedWrite } from '../../../src/store/index.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-superseded-');
});
let started: RunStoreExporter[] = [];
afterEach(async () => {
  await Promise.all(started.map((e) => e.shutdown()));
  started = [];
  await removeTempDir(runsDir);
});

async function setup() {
  const written: IndexedWrite[] = [];
  const exporter = new RunStoreExporter(
    {
      runsDir,
      unrecognized: 'agent',
      pricing: { overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null },
      index: { runWritten: (w: IndexedWrite) => void written.push(w), locateTrace: () => null },
    },
    silentLogger(),
    new Metrics({ defaultMetrics: false }),
  );
  await exporter.start();
  started.push(exporter);
  return { exporter, written };
}

function agentTrace(traceId: string) {
  const b = new TraceBuilder({ traceId });
  const root = b.span('invoke_agent coder', { endMs: 1500, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' } });
  const chat = b.span('chat gpt-4o', { parent: root, startMs: 10, endMs: 20, attributes: { 'gen_ai.operation.name': 'chat' } });
  return { b, root, chat };
}

describe('RunStoreExporter with writes queued', () => {
  it('skips a started snapshot when a later one of the same trace is already waiting', async () => {
    const { exporter, written } = await setup();
    const { b, root, chat } = agentTrace('22222222222222222222222222222222');
    await Promise.all([
      exporter.consumeTrace(b.trace('started', [chat])),
      exporter.consumeTrace(b.trace('complete', [chat, root])),
    ]);
    expect(written.map((w) => w.metadata.status)).toEqual(['completed']);
    const { kind, runId } = written[0]!;
    const metadata = await readFile(join(runsDir, kind === 'agent' ? 'agents' : 'workflows', runId, 'metadata.yaml'), 'utf8');
    expect(metadata).toMatch(/status: "completed"/);
  });

  it('still writes a started snapshot that is the newest, then the final one', async () => {
    const { exporter, written } = await setup();
    const { b, root, chat } = agentTrace('33333333333333333333333333333333');
    await exporter.consumeTrace(b.trace('started', [chat]));
    await exporter.consumeTrace(b.trace('complete', [chat, root]));
    expect(written.map((w) => w.metadata.status)).toEqual(['running', 'completed']);
  });
});
