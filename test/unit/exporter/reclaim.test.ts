import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeTraces, encodeTracesJson } from '../../../src/codec/otlp/index.js';
import { LARGE_TRACE_SPANS, Materializer } from '../../../src/exporter/runstore/materializer.js';
import { runDirectory } from '../../../src/store/index.js';
import { loadPriceBook } from '../../../src/pricing/index.js';
import { RunFiles } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-reclaim-');
});
afterEach(() => removeTempDir(runsDir));

describe('Materializer: garbage reclaimed between the stages of a write', () => {
  it('asks to reclaim after the mapping and after reading a stored trace back, and says how many spans the write held', async () => {
    const priceBook = await loadPriceBook({ overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null });
    const reclaimed: number[] = [];
    const materializer = new Materializer({ runsDir, unrecognized: 'agent', countedCapacity: 10 }, priceBook, new RunFiles(), (n) => reclaimed.push(n));
    const b = new TraceBuilder();
    const root = b.span('invoke_agent coder', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const first = [root, b.span('chat a', { parent: root }), b.span('chat b', { parent: root })];
    const written = materializer.materialize({ trace: b.trace('complete', first), location: null });
    expect(reclaimed).toEqual([3]);
    expect(materializer.lastWriteSpans).toBe(3);

    reclaimed.length = 0;
    const late = b.span('chat c', { parent: root });
    const rewritten = materializer.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: written.location });
    expect(rewritten.indexed?.metadata).toMatchObject({ span_count: 4 });
    expect(reclaimed).toEqual([4, 4]);
    expect(materializer.lastWriteSpans).toBe(4);
  });

  it('rewrites a large trace read back as packed spans with the same trace.json as from decoded spans', async () => {
    const priceBook = await loadPriceBook({ overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null });
    const materializer = new Materializer({ runsDir, unrecognized: 'agent', countedCapacity: 10 }, priceBook, new RunFiles());
    const b = new TraceBuilder();
    const root = b.span('invoke_agent coder', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const children = Array.from({ length: LARGE_TRACE_SPANS }, (_, i) => b.span(`step ${i}`, { parent: root, startMs: i % 50, attributes: { i } }));
    const written = materializer.materialize({ trace: b.trace('complete', [root, ...children]), location: null });
    const late = b.span('chat late', { parent: root, startMs: 7, attributes: { 'gen_ai.operation.name': 'chat' } });
    const rewritten = materializer.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: written.location });
    expect(rewritten.indexed?.metadata).toMatchObject({ span_count: LARGE_TRACE_SPANS + 2 });
    const { kind, runId } = rewritten.location!;
    const text = readFileSync(join(runDirectory(runsDir, kind, runId), 'trace.json'), 'utf8');
    const spans = decodeTraces(Buffer.from(text), 'json').spans;
    expect(spans).toHaveLength(LARGE_TRACE_SPANS + 2);
    expect(text).toBe(encodeTracesJson([root, ...children, late].map((s) => ({ ...s, origin: spans[0]!.origin }))));
  });
});
