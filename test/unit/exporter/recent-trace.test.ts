import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeTraces, encodeTracesJson } from '../../../src/codec/otlp/index.js';
import { LARGE_TRACE_SPANS, Materializer } from '../../../src/exporter/runstore/materializer.js';
import { RecentTrace } from '../../../src/exporter/runstore/recent-trace.js';
import type { Span } from '../../../src/model/index.js';
import { loadPriceBook } from '../../../src/pricing/index.js';
import { RunFiles, runDirectory } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-recent-');
});
afterEach(() => removeTempDir(runsDir));

/** Run files that count how often a trace.json is read back. */
class CountingFiles extends RunFiles {
  traceReads = 0;
  override readBytes(path: string): Buffer | null {
    if (path.endsWith('trace.json')) this.traceReads++;
    return super.readBytes(path);
  }
}

async function materializer(io: RunFiles, reclaimed: number[] = []): Promise<Materializer> {
  const priceBook = await loadPriceBook({ overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null });
  return new Materializer({ runsDir, unrecognized: 'agent', countedCapacity: 10 }, priceBook, io, (n) => reclaimed.push(n));
}

function largeTrace(b: TraceBuilder, name = 'coder'): Span[] {
  const root = b.span(`invoke_agent ${name}`, { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
  return [root, ...Array.from({ length: LARGE_TRACE_SPANS }, (_, i) => b.span(`step ${i}`, { parent: root, startMs: i % 50, attributes: { i } }))];
}

function storedText(location: { kind: 'agent' | 'workflow'; runId: string }): string {
  return readFileSync(join(runDirectory(runsDir, location.kind, location.runId), 'trace.json'), 'utf8');
}

describe('the spans of the last large trace written, kept for its late spans', () => {
  it('are what late spans merge with, without reading trace.json back, and write the same file', async () => {
    const io = new CountingFiles();
    const reclaimed: number[] = [];
    const m = await materializer(io, reclaimed);
    const b = new TraceBuilder();
    const spans = largeTrace(b);
    const written = m.materialize({ trace: b.trace('complete', spans), location: null });
    reclaimed.length = 0;
    const late = b.span('chat late', { parent: spans[0], startMs: 7, attributes: { 'gen_ai.operation.name': 'chat' } });
    const rewritten = m.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: written.location });
    expect(io.traceReads).toBe(0);
    // No read back, so no collection of its garbage: only the mapping's.
    expect(reclaimed).toEqual([LARGE_TRACE_SPANS + 2]);
    expect(rewritten.indexed?.metadata).toMatchObject({ span_count: LARGE_TRACE_SPANS + 2 });
    const text = storedText(rewritten.location!);
    const origin = decodeTraces(Buffer.from(text), 'json').spans[0]!.origin;
    expect(text).toBe(encodeTracesJson([...spans, late].map((s) => ({ ...s, origin }))));
  });

  it('give way to trace.json when the file changed since they were written', async () => {
    const io = new CountingFiles();
    const m = await materializer(io);
    const b = new TraceBuilder();
    const spans = largeTrace(b);
    const written = m.materialize({ trace: b.trace('complete', spans), location: null });
    // Something else rewrote the file meanwhile, with fewer spans (as sampling would).
    const path = join(runDirectory(runsDir, written.location!.kind, written.location!.runId), 'trace.json');
    writeFileSync(path, encodeTracesJson(spans.slice(0, 3)));
    const late = b.span('chat late', { parent: spans[0], attributes: { 'gen_ai.operation.name': 'chat' } });
    const rewritten = m.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: written.location });
    expect(io.traceReads).toBe(1);
    expect(rewritten.indexed?.metadata).toMatchObject({ span_count: 4 });
  });

  it('are dropped (and collected) before another large trace is written, never kept beside it', async () => {
    const reclaimed: number[] = [];
    const io = new CountingFiles();
    const m = await materializer(io, reclaimed);
    const b = new TraceBuilder();
    const first = m.materialize({ trace: b.trace('complete', largeTrace(b)), location: null });
    reclaimed.length = 0;
    const other = new TraceBuilder({ traceId: 'c'.repeat(32) });
    m.materialize({ trace: other.trace('complete', largeTrace(other, 'planner')), location: null });
    // The kept spans went first, then the mapping's garbage.
    expect(reclaimed).toEqual([LARGE_TRACE_SPANS + 1, LARGE_TRACE_SPANS + 1]);
    // The first trace's late spans now read its file back.
    const late = b.span('chat late', { attributes: { 'gen_ai.operation.name': 'chat' } });
    m.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: first.location });
    expect(io.traceReads).toBe(1);
  });

  it('are dropped after their time without a write, and only while the file is there', async () => {
    const dropped: number[] = [];
    const recent = new RecentTrace(new RunFiles(), (n) => dropped.push(n), 20);
    const path = join(runsDir, 'trace.json');
    const spans = largeTrace(new TraceBuilder());
    recent.remember('t1', join(runsDir, 'missing.json'), spans);
    expect(recent.recall('t1', join(runsDir, 'missing.json'))).toBeNull();
    writeFileSync(path, 'x');
    recent.remember('t1', path, spans);
    expect(recent.recall('t2', path)).toBeNull();
    expect(recent.recall('t1', path)).toHaveLength(spans.length);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(dropped).toEqual([spans.length]);
    expect(recent.recall('t1', path)).toBeNull();
  });
});
