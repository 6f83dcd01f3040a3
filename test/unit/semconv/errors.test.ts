import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { RunRecord } from '../../../src/model/index.js';
import { keyValues, TraceBuilder } from '../../helpers/span-builder.js';
import { chatAttributes, codingAgent, failedAgent } from '../../fixtures/semconv/otel-genai.js';

function map(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  return record;
}

describe('status and errors (CONVENTIONS.md §9)', () => {
  it('fails the run and counts an error propagated tool → chat → root once', () => {
    expect(map(failedAgent())).toMatchObject({
      status: 'failed',
      errorCount: 1,
      exitCode: 1,
      agentId: 'tester',
      output: null,
      usage: { input: 10, output: 5 },
    });
  });

  it('counts independent failures separately', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    builder.span('execute_tool a', { parent: root, startMs: 1, status: 'error', attributes: { 'gen_ai.operation.name': 'execute_tool' } });
    builder.span('execute_tool b', { parent: root, startMs: 2, attributes: { 'gen_ai.operation.name': 'execute_tool', 'error.type': 'timeout' } });
    builder.span('chat m', { parent: root, startMs: 3, attributes: chatAttributes({ input: 1, output: 1, id: 'x' }, { 'gen_ai.response.finish_reasons': ['error'] }) });
    expect(map(builder)).toMatchObject({ status: 'completed', errorCount: 3, exitCode: 0 });
  });

  it('treats error.type alone on the root as a failure', () => {
    const builder = new TraceBuilder();
    builder.span('invoke_agent A', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'error.type': '_OTHER' } });
    expect(map(builder)).toMatchObject({ status: 'failed', errorCount: 1 });
  });

  it('keeps a failed root\'s missing output null instead of the last call\'s answer', () => {
    const { builder, root } = codingAgent();
    root.status = { code: 2, message: 'boom' };
    expect(map(builder)).toMatchObject({ status: 'failed', output: null });
  });

  it('keeps a stated zero exit code on a failed root', () => {
    const { builder, root } = codingAgent();
    root.status = { code: 2, message: 'boom' };
    root.attributes.push(...keyValues({ 'paracle.exit_code': 0 }));
    expect(map(builder)).toMatchObject({ status: 'failed', exitCode: 0 });
  });
});
