import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/lib/index.js';
import { assemblerHarness as setup } from '../../helpers/assembler.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

function agentTrace() {
  const b = new TraceBuilder();
  const root = b.span('invoke_agent a', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
  const child = b.span('chat', { parent: root, startMs: 10, endMs: 20 });
  const before = b.log({ atMs: 5, body: 'before', span: root });
  const during = b.log({ atMs: 15, body: 'during', span: child });
  return { b, root, child, before, during };
}

describe('TraceAssembler with log records', () => {
  it('joins records sent before and while its spans arrive to the trace', async () => {
    const { sink, assembler, advance } = setup();
    const { root, child, before, during } = agentTrace();
    await assembler.consumeLogs([before]);
    expect(sink.traces).toHaveLength(0);
    await assembler.consumeSpans([child]);
    await assembler.consumeLogs([during]);
    await assembler.consumeSpans([root]);
    advance(2000);
    expect(sink.traces.map((t) => t.phase)).toEqual(['started', 'complete']);
    expect(sink.inPhase('complete')[0]?.logs).toEqual([before, during]);
    expect(sink.inPhase('started')[0]?.logs).toEqual([before]);
  });

  it('restarts the grace period when a record arrives after the root', async () => {
    const { sink, assembler, advance } = setup();
    const { root, child, during } = agentTrace();
    await assembler.consumeSpans([child, root]);
    advance(1500);
    await assembler.consumeLogs([during]);
    advance(1500);
    expect(sink.inPhase('complete')).toHaveLength(0);
    advance(500);
    expect(sink.inPhase('complete')[0]?.logs).toEqual([during]);
  });

  it('never makes a trace of records alone: they wait like an orphan, then are dropped', async () => {
    const { sink, assembler, advance } = setup();
    const { b, root } = agentTrace();
    await assembler.consumeLogs([...b.logs]);
    expect(assembler.tracesInFlight).toBe(1);
    expect(assembler.spansInMemory).toBe(2);
    advance(300_000);
    expect(sink.traces).toHaveLength(0);
    expect(assembler.spansInMemory).toBe(0);
    // The trace was not marked finished: its spans, when they come, make a normal run.
    await assembler.consumeSpans([root]);
    advance(2000);
    expect(sink.traces.map((t) => [t.phase, t.late])).toEqual([['started', false], ['complete', false]]);
  });

  it('hands records of a finished trace on as a late snapshot with no spans', async () => {
    const { sink, assembler, advance } = setup();
    const { b, root, child, before } = agentTrace();
    await assembler.consumeSpans([child, root]);
    await assembler.consumeLogs([before]);
    advance(2000);
    const after = b.log({ atMs: 500, body: 'after' });
    await assembler.consumeLogs([after]);
    advance(1999);
    expect(sink.traces).toHaveLength(2);
    advance(1);
    expect(sink.traces.at(-1)).toMatchObject({ phase: 'complete', late: true, spans: [], logs: [after] });
  });

  it('passes records with no trace id straight on', async () => {
    const { sink, assembler } = setup();
    const untraced = { ...new TraceBuilder().log({ body: 'no trace' }), traceId: '', spanId: '' };
    await assembler.consumeLogs([untraced]);
    expect(sink.untracedLogs).toEqual([untraced]);
    expect(assembler.tracesInFlight).toBe(0);
  });

  it('counts records in the memory bound', async () => {
    const { assembler } = setup({ maxSpansInMemory: 3 });
    const { b, root, child } = agentTrace();
    await assembler.consumeSpans([root, child]);
    await assembler.consumeLogs([b.logs[0]!]);
    await expect(assembler.consumeLogs([b.logs[1]!])).rejects.toBeInstanceOf(RetryableError);
    await expect(assembler.consumeSpans([b.span('more', { parent: root })])).rejects.toBeInstanceOf(RetryableError);
  });

  it('on shutdown hands records on with their trace and refuses new ones', async () => {
    const { sink, assembler } = setup();
    const { root, before } = agentTrace();
    await assembler.consumeSpans([root]);
    await assembler.consumeLogs([before]);
    await assembler.shutdown();
    expect(sink.inPhase('complete')[0]?.logs).toEqual([before]);
    await expect(assembler.consumeLogs([before])).rejects.toBeInstanceOf(RetryableError);
  });
});
