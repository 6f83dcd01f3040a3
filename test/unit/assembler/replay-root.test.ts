import { describe, expect, it } from 'vitest';
import { replayParentSpanId } from '../../../src/model/index.js';
import { assemblerHarness as setup } from '../../helpers/assembler.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

const TRACE = '5c0ffee0deadbeef5c0ffee0deadbeef';

describe('TraceAssembler and replays', () => {
  it("completes a replay's trace when the agent's top span has ended, never waiting for its parent", async () => {
    const { sink, assembler, advance } = setup();
    const b = new TraceBuilder({ traceId: TRACE });
    const top = b.span('invoke_agent a', { parent: replayParentSpanId(TRACE), endMs: 100 });
    const child = b.span('chat', { parent: top, startMs: 10, endMs: 20 });
    await assembler.consumeSpans([child]);
    advance(10_000);
    expect(sink.inPhase('complete')).toHaveLength(0);
    await assembler.consumeSpans([top]);
    advance(2000);
    expect(sink.inPhase('complete')[0]?.spans.map((s) => s.name)).toEqual(['chat', 'invoke_agent a']);
  });

  it('waits for the root like before when a span has a parent that is no replay parent', async () => {
    const { sink, assembler, advance } = setup();
    const b = new TraceBuilder({ traceId: TRACE });
    b.span('invoke_agent a', { parent: replayParentSpanId('1'.repeat(32)), endMs: 100 });
    await assembler.consumeSpans(b.spans);
    advance(10_000);
    expect(sink.inPhase('complete')).toHaveLength(0);
    advance(300_000);
    expect(sink.inPhase('orphaned')).toHaveLength(1);
  });
});
