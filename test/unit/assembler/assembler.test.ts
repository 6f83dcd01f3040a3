import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/lib/index.js';
import { assemblerHarness as setup } from '../../helpers/assembler.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

/** A root with two children. */
function agentTrace(traceId?: string) {
  const b = new TraceBuilder(traceId ? { traceId } : {});
  const root = b.span('invoke_agent a', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
  const c1 = b.span('chat 1', { parent: root, startMs: 10, endMs: 20 });
  const c2 = b.span('chat 2', { parent: root, startMs: 30, endMs: 40 });
  return { b, root, c1, c2 };
}

describe('TraceAssembler', () => {
  it('hands a trace on as started at once and as complete after the grace period', async () => {
    const { sink, assembler, advance } = setup();
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1, c2, root]);
    expect(sink.traces.map((t) => t.phase)).toEqual(['started']);
    advance(1999);
    expect(sink.inPhase('complete')).toHaveLength(0);
    advance(1);
    const [complete] = sink.inPhase('complete');
    expect(complete?.spans.map((s) => s.name)).toEqual(['chat 1', 'chat 2', 'invoke_agent a']);
    expect(complete?.late).toBe(false);
    expect(assembler.tracesInFlight).toBe(0);
  });

  it('with runningAfterMs, hands on a trace whose root came in time only once, as complete', async () => {
    const { sink, assembler, advance } = setup({ runningAfterMs: 1000 });
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1, c2]);
    advance(999);
    await assembler.consumeSpans([root]);
    advance(5000);
    expect(sink.traces.map((t) => t.phase)).toEqual(['complete']);
  });

  it('with runningAfterMs, hands on a started snapshot once a trace has been open that long without its root', async () => {
    const { sink, assembler, advance } = setup({ runningAfterMs: 1000 });
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1]);
    advance(500);
    await assembler.consumeSpans([c2]);
    advance(499);
    expect(sink.traces).toEqual([]);
    advance(1);
    expect(sink.traces.map((t) => t.phase)).toEqual(['started']);
    expect(sink.traces[0]?.spans.map((s) => s.name)).toEqual(['chat 1', 'chat 2']);
    await assembler.consumeSpans([root]);
    advance(2000);
    expect(sink.traces.map((t) => t.phase)).toEqual(['started', 'complete']);
  });

  it('waits for a root that comes after its children, in another request', async () => {
    const { sink, assembler, advance } = setup();
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1]);
    advance(10_000);
    await assembler.consumeSpans([c2]);
    advance(10_000);
    expect(sink.inPhase('complete')).toHaveLength(0);
    await assembler.consumeSpans([root]);
    advance(2000);
    expect(sink.inPhase('complete')[0]?.spans).toHaveLength(3);
    expect(sink.inPhase('started')).toHaveLength(1);
  });

  it('restarts the grace period when a child arrives after the root', async () => {
    const { sink, assembler, advance } = setup();
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1, root]);
    advance(1500);
    await assembler.consumeSpans([c2]);
    advance(1500);
    expect(sink.inPhase('complete')).toHaveLength(0);
    advance(500);
    expect(sink.inPhase('complete')[0]?.spans).toHaveLength(3);
  });

  it('keeps the first copy of a duplicated span', async () => {
    const { sink, assembler, advance } = setup();
    const { root, c1 } = agentTrace();
    const copy = { ...c1, name: 'retried copy' };
    await assembler.consumeSpans([c1, root]);
    await assembler.consumeSpans([copy]);
    advance(2000);
    expect(sink.inPhase('complete')[0]?.spans.map((s) => s.name).sort()).toEqual(['chat 1', 'invoke_agent a']);
  });

  it('keeps the first copy of duplicated spans of a large trace, in arrival order, spans equal to those sent', async () => {
    const { sink, assembler, advance } = setup();
    const b = new TraceBuilder();
    const root = b.span('invoke_agent big', { endMs: 1000, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const children = Array.from({ length: 40 }, (_, i) =>
      b.span(`chat ${i}`, { parent: root, startMs: i, endMs: i + 1, attributes: { 'gen_ai.usage.input_tokens': i }, events: [{ name: 'e' }] }),
    );
    await assembler.consumeSpans(children.slice(0, 10));
    await assembler.consumeSpans([...children.slice(5, 30), { ...children[3]!, name: 'copy' }]);
    await assembler.consumeSpans([...children.slice(20), { ...children[25]!, name: 'copy' }, root]);
    advance(2000);
    const [started] = sink.inPhase('started');
    expect(started?.spans).toEqual(children.slice(0, 10));
    const [complete] = sink.inPhase('complete');
    expect(complete?.spans).toEqual([...children, root]);
    expect(complete?.spans[0]?.origin).toBe(children[0]?.origin);
  });

  it('keeps at most 64 started snapshots pending downstream; the others wait for a place, or are superseded', async () => {
    const { sink, assembler, advance } = setup({ maxSpansInMemory: 10_000 });
    sink.hold();
    const traces = Array.from({ length: 100 }, (_, i) => agentTrace((i + 1).toString(16).padStart(32, 'a')));
    for (const t of traces) await assembler.consumeSpans([t.c1]);
    expect(sink.inPhase('started')).toHaveLength(64);
    // More spans of a waiting trace before it has a place: its snapshot has them too.
    await assembler.consumeSpans([traces[99]!.c2]);
    // A trace finishing before its started snapshot got a place goes straight to complete.
    await assembler.consumeSpans([traces[70]!.c2, traces[70]!.root]);
    advance(2000);
    expect(sink.inPhase('complete').map((t) => t.traceId)).toEqual([traces[70]!.b.traceId]);
    sink.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const started = sink.inPhase('started');
    expect(started).toHaveLength(99);
    expect(new Set(started.map((t) => t.traceId)).has(traces[70]!.b.traceId)).toBe(false);
    expect(started.at(-1)?.spans.map((s) => s.name)).toEqual(['chat 1', 'chat 2']);
    expect(started.map((t) => t.traceId)).toEqual(traces.filter((_, i) => i !== 70).map((t) => t.b.traceId));
  });

  it('hands on a trace whose root never comes as orphaned after the idle timeout', async () => {
    const { sink, assembler, advance } = setup({ orphanTimeoutMs: 60_000 });
    const { c1 } = agentTrace();
    await assembler.consumeSpans([c1]);
    advance(59_999);
    expect(sink.inPhase('orphaned')).toHaveLength(0);
    advance(1);
    expect(sink.inPhase('orphaned')[0]?.spans).toEqual([c1]);
  });

  it('passes spans of a finished trace on as late after the grace period, without a started phase', async () => {
    const { sink, assembler, advance } = setup();
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([c1, root]);
    advance(2000);
    await assembler.consumeSpans([c2]);
    advance(2000);
    const late = sink.traces.at(-1);
    expect(late).toMatchObject({ phase: 'complete', late: true });
    expect(late?.spans).toEqual([c2]);
    expect(sink.inPhase('started')).toHaveLength(1);
  });

  it('keeps traces apart', async () => {
    const { sink, assembler, advance } = setup();
    const a = agentTrace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const b = agentTrace('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    await assembler.consumeSpans([a.c1, b.c1, a.root, b.root]);
    advance(2000);
    const complete = sink.inPhase('complete');
    expect(complete.map((t) => t.traceId).sort()).toEqual([a.b.traceId, b.b.traceId]);
    expect(complete.every((t) => t.spans.length === 2)).toBe(true);
  });

  it('refuses a batch past the memory bound with a retryable error and takes it once memory is freed', async () => {
    const { sink, assembler, advance } = setup({ maxSpansInMemory: 4 });
    sink.hold();
    const a = agentTrace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const b = agentTrace('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    await assembler.consumeSpans([a.root, a.c1, a.c2]);
    const refused = await assembler.consumeSpans([b.root, b.c1]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RetryableError);
    expect((refused as RetryableError).retryAfterSeconds).toBeGreaterThan(0);
    // Handed on but not yet stored still counts: nothing is dropped while the disk is slow.
    advance(2000);
    expect(assembler.spansInMemory).toBe(3);
    await expect(assembler.consumeSpans([b.root, b.c1])).rejects.toBeInstanceOf(RetryableError);
    sink.release();
    await new Promise((r) => setImmediate(r));
    await assembler.consumeSpans([b.root, b.c1]);
    expect(assembler.spansInMemory).toBe(2);
  });

  it('accepts a batch larger than the bound when nothing else is held', async () => {
    const { assembler } = setup({ maxSpansInMemory: 2 });
    const { root, c1, c2 } = agentTrace();
    await assembler.consumeSpans([root, c1, c2]);
    expect(assembler.spansInMemory).toBe(3);
  });

  it('on shutdown hands on finished traces as complete and unfinished ones as interrupted, then refuses spans', async () => {
    const { sink, assembler } = setup();
    const done = agentTrace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const open = agentTrace('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    await assembler.consumeSpans([done.root, done.c1, open.c1]);
    await assembler.shutdown();
    expect(sink.inPhase('complete').map((t) => t.traceId)).toEqual([done.b.traceId]);
    expect(sink.inPhase('interrupted').map((t) => t.traceId)).toEqual([open.b.traceId]);
    await expect(assembler.consumeSpans([open.c2])).rejects.toBeInstanceOf(RetryableError);
    await assembler.shutdown();
  });

  it('takes a large batch in slices, letting the event loop run between them', async () => {
    const { sink, assembler, advance } = setup({ maxSpansInMemory: 10_000 });
    const b = new TraceBuilder();
    const root = b.span('invoke_agent a', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    const spans = [root, ...Array.from({ length: 5_000 }, (_, i) => b.span(`tool ${i}`, { parent: root, startMs: 1, endMs: 2 }))];
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    const taken = assembler.consumeSpans(spans);
    expect(ranMeanwhile).toBe(false);
    await taken;
    expect(ranMeanwhile).toBe(true);
    expect(assembler.spansInMemory).toBe(5_001);
    advance(2000);
    expect(sink.inPhase('complete')[0]?.spans).toHaveLength(5_001);
  });

  it('refuses a large batch when shutdown begins between its slices, and hands on what it took', async () => {
    const { sink, assembler } = setup({ maxSpansInMemory: 10_000 });
    const b = new TraceBuilder();
    const spans = Array.from({ length: 5_000 }, (_, i) => b.span(`tool ${i}`, { startMs: 1, endMs: 2 }));
    const taken = assembler.consumeSpans(spans);
    const stopped = assembler.shutdown();
    await expect(taken).rejects.toBeInstanceOf(RetryableError);
    await stopped;
    const handedOn = sink.traces.filter((t) => t.phase !== 'started').flatMap((t) => t.spans);
    expect(handedOn.length).toBeGreaterThan(0);
    expect(handedOn.length).toBeLessThan(5_000);
    expect(assembler.spansInMemory).toBe(0);
    expect(assembler.bytesInMemory).toBe(0);
  });

  it('can be shut down before it was started', async () => {
    const { assembler } = setup();
    await expect(assembler.shutdown()).resolves.toBeUndefined();
  });
});
