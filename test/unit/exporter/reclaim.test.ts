import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Materializer } from '../../../src/exporter/runstore/materializer.js';
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
  it('asks to reclaim after the mapping and the write, and after reading a stored trace back, with the merged span count', async () => {
    const priceBook = await loadPriceBook({ overrides: join(runsDir, 'no-overrides.yaml'), dataFile: null });
    const reclaimed: number[] = [];
    const materializer = new Materializer({ runsDir, unrecognized: 'agent', countedCapacity: 10 }, priceBook, new RunFiles(), (n) => reclaimed.push(n));
    const b = new TraceBuilder();
    const root = b.span('invoke_agent coder', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const first = [root, b.span('chat a', { parent: root }), b.span('chat b', { parent: root })];
    const written = materializer.materialize({ trace: b.trace('complete', first), location: null });
    expect(reclaimed).toEqual([3, 3]);

    reclaimed.length = 0;
    const late = b.span('chat c', { parent: root });
    const rewritten = materializer.materialize({ trace: { ...b.trace('complete', [late]), late: true }, location: written.location });
    expect(rewritten.indexed?.metadata).toMatchObject({ span_count: 4 });
    expect(reclaimed).toEqual([4, 4, 4]);
  });
});
