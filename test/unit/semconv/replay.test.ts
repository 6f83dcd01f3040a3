import { describe, expect, it } from 'vitest';
import { replayParentSpanId, startsRun, type RunRecord, type Span } from '../../../src/model/index.js';
import { replayEndSpan, type ReplayEnd } from '../../../src/replay/end-span.js';
import type { CommandEnd } from '../../../src/replay/command.js';
import { mapTrace } from '../../../src/semconv/index.js';
import { BASE_MS, exceptionEvent, TraceBuilder } from '../../helpers/span-builder.js';

const ORIGINAL = '01HN7X8K9M2PQRSTUVWXYZ3456';
const TRACE = '7a3f0c9e5b1d4e2f8a6c0b9d7e5f3a1c';
const PARENT = replayParentSpanId(TRACE);

function end(result: CommandEnd, kind: 'agent' | 'workflow' = 'agent'): Span {
  const replay: ReplayEnd = {
    traceId: TRACE,
    replayOf: ORIGINAL,
    kind,
    subjectId: kind === 'agent' ? 'coder' : 'pipeline',
    name: kind === 'agent' ? 'Coder' : null,
    input: '{"task": "fix it"}',
    startedAtMs: BASE_MS - 500,
    endedAtMs: BASE_MS + 1000,
    end: result,
  };
  return replayEndSpan(replay);
}

/** A replayed SDK agent: its top span's parent is the replay parent, which it never sends. */
function replayedAgent(): TraceBuilder {
  const builder = new TraceBuilder({ traceId: TRACE });
  const root = builder.span('invoke_agent coder', {
    parent: PARENT,
    startMs: 0,
    endMs: 900,
    attributes: { 'paracle.run.kind': 'agent', 'paracle.agent.id': 'coder', 'paracle.input': '{"task":"fix it"}', 'paracle.output': '{"done":true}' },
  });
  builder.span('chat other', {
    parent: root,
    startMs: 10,
    endMs: 800,
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'other', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 },
  });
  return builder;
}

function map(spans: Span[], phase: 'complete' | 'started' = 'complete'): RunRecord {
  const record = mapTrace({ traceId: TRACE, phase, spans, logs: [], late: false }, { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  return record;
}

describe('the trace of a replay (INTERFACE.md §7)', () => {
  it('derives one parent span id per trace id, 16 hex digits, and knows the spans that start a run by it', () => {
    expect(PARENT).toMatch(/^[0-9a-f]{16}$/);
    expect(replayParentSpanId(TRACE)).toBe(PARENT);
    expect(replayParentSpanId('0'.repeat(31) + '1')).not.toBe(PARENT);
    expect(startsRun({ traceId: TRACE, parentSpanId: PARENT })).toBe(true);
    expect(startsRun({ traceId: TRACE, parentSpanId: '' })).toBe(true);
    expect(startsRun({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7' })).toBe(false);
    expect(startsRun({ traceId: '0'.repeat(31) + '1', parentSpanId: PARENT })).toBe(false);
  });

  it("reads the run from the agent's top span, without waiting for the parent span", () => {
    const record = map(replayedAgent().spans);
    expect(record).toMatchObject({
      kind: 'agent',
      agentId: 'coder',
      status: 'completed',
      model: 'other',
      input: { task: 'fix it' },
      output: { done: true },
      startedAtMs: BASE_MS,
      completedAtMs: BASE_MS + 900,
      replayOf: null,
      error: null,
    });
  });

  it('takes replay_of and the exit code from the end span; a clean exit keeps the run completed', () => {
    const record = map([...replayedAgent().spans, end({ kind: 'exited', code: 0, stderr: '' })]);
    expect(record).toMatchObject({ status: 'completed', exitCode: 0, replayOf: ORIGINAL, error: null, output: { done: true } });
    // The run is the agent's: its timing, not the command's.
    expect(record.startedAtMs).toBe(BASE_MS);
    expect(record.completedAtMs).toBe(BASE_MS + 900);
  });

  it('fails a run whose command exited non-zero, with the reason and the last stderr line in error', () => {
    const record = map([...replayedAgent().spans, end({ kind: 'exited', code: 3, stderr: 'model weights missing' })]);
    expect(record).toMatchObject({
      status: 'failed',
      exitCode: 3,
      errorCount: 1,
      error: 'the replay command exited with code 3: model weights missing',
    });
  });

  it('fails a timed-out command, and says why', () => {
    const record = map([...replayedAgent().spans, end({ kind: 'timed_out', afterMs: 5000, stderr: '' })]);
    expect(record).toMatchObject({ status: 'failed', exitCode: 1, error: "the replay command timed out after 5 s; its process group was killed" });
  });

  it("is the original's agent or workflow, failed with the reason, when the command sent nothing", () => {
    const agent = map([end({ kind: 'not_started', reason: '"agent-x" was not found' })]);
    expect(agent).toMatchObject({
      kind: 'agent',
      agentId: 'coder',
      agentName: 'Coder',
      status: 'failed',
      replayOf: ORIGINAL,
      input: { task: 'fix it' },
      output: null,
      error: 'the replay command could not start: "agent-x" was not found',
    });
    const workflow = map([end({ kind: 'signaled', signal: 'SIGSEGV', stderr: '' }, 'workflow')]);
    expect(workflow).toMatchObject({ kind: 'workflow', workflowId: 'pipeline', status: 'failed', error: 'the replay command was killed by SIGSEGV' });
  });

  it('keeps a replayed workflow a workflow, with the input it was given, when its command says neither', () => {
    const builder = new TraceBuilder({ traceId: TRACE });
    builder.span('job', { parent: PARENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' } });
    const record = map([...builder.spans, end({ kind: 'exited', code: 0, stderr: '' }, 'workflow')]);
    expect(record).toMatchObject({ kind: 'workflow', input: { task: 'fix it' } });
  });

  it("puts the agent's own failure message in error when the command exited 0", () => {
    const builder = new TraceBuilder({ traceId: TRACE });
    builder.span('invoke_agent coder', {
      parent: PARENT,
      status: 'error',
      events: [exceptionEvent('rate limited')],
      attributes: { 'paracle.agent.id': 'coder' },
    });
    expect(map([...builder.spans, end({ kind: 'exited', code: 0, stderr: '' })])).toMatchObject({ status: 'failed', error: 'rate limited', exitCode: 0 });
  });

  it('leaves traces that are no replays as they were: a root with a status message gives the error', () => {
    const builder = new TraceBuilder({ traceId: TRACE });
    builder.span('invoke_agent coder', { status: 'error', statusMessage: 'tool crashed', attributes: { 'paracle.agent.id': 'coder' } });
    expect(map(builder.spans)).toMatchObject({ status: 'failed', error: 'tool crashed', replayOf: null });
    const fine = new TraceBuilder({ traceId: TRACE });
    fine.span('invoke_agent coder', { statusMessage: 'ignored when not failed', attributes: { 'paracle.agent.id': 'coder' } });
    expect(map(fine.spans).error).toBeNull();
  });
});
