import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeTracesJson } from '../../../src/codec/otlp/index.js';
import { newRunId, writeRun } from '../../../src/store/index.js';
import { TraceViews } from '../../../src/store/spans.js';
import { openStoredRun, type StoredRun } from '../../../src/store/stored-run.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { BASE_MS, TraceBuilder } from '../../helpers/span-builder.js';
import { agentRecord } from './records.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(runsDir);
});

/** A stored agent run whose trace.json holds `spans` spans under one root (the last one 2 ms long, reporting a cost). */
async function storedRun(children: number): Promise<{ runId: string; builder: TraceBuilder }> {
  const t = new TraceBuilder();
  const root = t.span('invoke_agent coder', { startMs: 0, endMs: 1000, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
  for (let i = 0; i < children; i++) {
    t.span(`chat ${i}`, {
      parent: root,
      startMs: 10 + i,
      endMs: 12 + i,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10, ...(i === children - 1 ? { 'paracle.cost_usd': 0.25 } : {}) },
    });
  }
  const runId = newRunId(BASE_MS);
  await writeRun(runsDir, { runId, record: agentRecord({ startedAtMs: BASE_MS }), traceJson: encodeTracesJson(t.spans) });
  return { runId, builder: t };
}

describe('TraceViews', () => {
  it('pages through a trace in tree order, with offsets from its start', async () => {
    const { runId } = await storedRun(5);
    const views = new TraceViews();
    const run = await openStoredRun(runsDir, runId);
    const first = await views.page(run, 0, 4);
    expect(first).toMatchObject({ run_id: runId, total: 6, offset: 0, next_offset: 4, duration_ms: 1000, started_at: new Date(BASE_MS).toISOString() });
    expect(first.spans.map((s) => [s.name, s.depth, s.offset_ms, s.duration_ms])).toEqual([
      ['invoke_agent coder', 0, 0, 1000],
      ['chat 0', 1, 10, 2],
      ['chat 1', 1, 11, 2],
      ['chat 2', 1, 12, 2],
    ]);
    expect(first.spans[0]).toMatchObject({ children: 5, role: 'agent', kind: 'internal', status: 'unset', llm: null });
    const rest = await views.page(run, 4, 4);
    expect(rest.spans.map((s) => s.name)).toEqual(['chat 3', 'chat 4']);
    expect(rest.next_offset).toBeNull();
    expect((await views.page(run, 10, 4)).spans).toEqual([]);
  });

  it('estimates a call\'s cost with the pricer only when the span reports none', async () => {
    const { runId } = await storedRun(2);
    const asked: unknown[] = [];
    const price = (call: unknown): number => {
      asked.push(call);
      return 0.001;
    };
    const page = await new TraceViews().page(await openStoredRun(runsDir, runId), 0, 10, price);
    expect(page.spans.map((s) => [s.llm?.cost_usd, s.llm?.cost_source])).toEqual([
      [undefined, undefined],
      [0.001, 'estimated'],
      [0.25, 'reported'],
    ]);
    expect(asked).toEqual([{ provider: null, model: 'gpt-4o', usage: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 } }]);
    expect(page.spans[1]!.llm).toMatchObject({ tokens_input: 100, tokens_output: 10, model: 'gpt-4o', counted: true });
  });

  it('reads the trace again once its file changed, and not before', async () => {
    const { runId, builder } = await storedRun(1);
    const views = new TraceViews();
    const run = await openStoredRun(runsDir, runId);
    expect((await views.page(run, 0, 10)).total).toBe(2);
    builder.span('late span', { startMs: 1500, endMs: 1600 });
    const file = join(runsDir, 'agents', runId, 'trace.json');
    await writeFile(file, encodeTracesJson(builder.spans));
    const after = await views.page(await openStoredRun(runsDir, runId), 0, 10);
    expect(after.total).toBe(3);
    expect(after.duration_ms).toBe(1600);
  });

  it('gives one span with its attributes, events and resource; 404 for a span not in the trace', async () => {
    const { runId, builder } = await storedRun(1);
    const views = new TraceViews();
    const run = await openStoredRun(runsDir, runId);
    const detail = await views.detail(run, builder.spans[1]!.spanId);
    expect(detail).toMatchObject({ name: 'chat 0', attributes: { 'gen_ai.usage.input_tokens': 100 }, resource: { 'service.name': 'test-service' }, events_list: [], links: [] });
    await expect(views.detail(run, 'ffffffffffffffff')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses bad paging and a trace larger than it reads', async () => {
    const { runId } = await storedRun(3);
    const run = await openStoredRun(runsDir, runId);
    await expect(new TraceViews().page(run, 0, 0)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(new TraceViews().page(run, 0, 10_001)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(new TraceViews().page(run, -1, 10)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(new TraceViews({ maxTraceBytes: 100 }).page(run, 0, 10)).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('parses a trace once while its file is unchanged, and keeps within its span budget', async () => {
    const a = await storedRun(3);
    const b = await storedRun(3);
    const views = new TraceViews({ maxSpans: 5 });
    const reads: string[] = [];
    const counted = (run: StoredRun): StoredRun => ({
      kind: run.kind,
      runId: run.runId,
      place: run.place,
      metadataText: () => run.metadataText(),
      pinned: () => run.pinned(),
      list: (folder) => run.list(folder),
      stamp: (path) => run.stamp(path),
      open: (path) => {
        reads.push(run.runId);
        return run.open(path);
      },
    });
    const runA = counted(await openStoredRun(runsDir, a.runId));
    const runB = counted(await openStoredRun(runsDir, b.runId));
    await views.page(runA, 0, 2);
    await views.page(runA, 2, 2);
    await views.detail(runA, a.builder.spans[0]!.spanId);
    expect(reads).toEqual([a.runId]);
    // B's 4 spans and A's 4 exceed the budget of 5: A's entry goes, and A is read again.
    await views.page(runB, 0, 10);
    await views.page(runA, 0, 10);
    expect(reads).toEqual([a.runId, b.runId, a.runId]);
  });
});
