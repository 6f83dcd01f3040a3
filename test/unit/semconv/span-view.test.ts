import { describe, expect, it } from 'vitest';
import { describeSpans } from '../../../src/semconv/index.js';
import { exceptionEvent, TraceBuilder } from '../../helpers/span-builder.js';

const chat = (input: number, output: number): Record<string, unknown> => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.response.model': 'gpt-4o',
  'gen_ai.usage.input_tokens': input,
  'gen_ai.usage.output_tokens': output,
});

describe('describeSpans', () => {
  it('orders spans as a tree, children by start, with depth, roles and the calls that count', () => {
    const t = new TraceBuilder();
    // The agent span repeats its children's usage (an OTel aggregate): only the calls count.
    const root = t.span('invoke_agent coder', { startMs: 0, endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 7 } });
    const late = t.span('chat late', { parent: root, startMs: 50, endMs: 90, attributes: chat(20, 5) });
    const tool = t.span('execute_tool search', { parent: root, startMs: 20, endMs: 30, attributes: { 'gen_ai.operation.name': 'execute_tool' } });
    t.span('chat early', { parent: root, startMs: 5, endMs: 15, attributes: { ...chat(10, 2), 'paracle.cost_usd': 0.5 } });
    t.span('http GET', { parent: tool, startMs: 21, endMs: 29 });
    void late;
    const views = describeSpans(t.spans);
    expect(views.map((v) => [v.span.name, v.depth, v.role])).toEqual([
      ['invoke_agent coder', 0, 'agent'],
      ['chat early', 1, 'llm'],
      ['execute_tool search', 1, 'tool'],
      ['http GET', 2, 'other'],
      ['chat late', 1, 'llm'],
    ]);
    expect(views[3]!.parentSpanId).toBe(tool.spanId);
    expect(views[0]!.parentSpanId).toBeNull();
    const [agent, early, , http, lateView] = views;
    expect(early!.llm).toEqual({ provider: 'openai', model: 'gpt-4o', usage: { input: 10, output: 2, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 }, reportedCostUsd: 0.5, counted: true });
    expect(lateView!.llm).toMatchObject({ reportedCostUsd: null, counted: true });
    expect(agent!.llm).toMatchObject({ usage: { input: 30, output: 7 }, counted: false });
    expect(http!.llm).toBeNull();
  });

  it('marks errored spans, names why, and finds where the failure started', () => {
    const t = new TraceBuilder();
    const root = t.span('invoke_agent coder', { endMs: 50, status: 'error', attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    t.span('execute_tool deploy', { parent: root, startMs: 10, endMs: 20, status: 'error', events: [exceptionEvent('disk full')] });
    t.span('chat', { parent: root, startMs: 30, endMs: 40, attributes: { ...chat(1, 1), 'error.type': 'timeout' } });
    const views = describeSpans(t.spans);
    expect(views.map((v) => [v.span.name, v.errored, v.errorOrigin, v.error])).toEqual([
      ['invoke_agent coder', true, false, null],
      ['execute_tool deploy', true, true, 'disk full'],
      ['chat', true, true, 'timeout'],
    ]);
  });

  it('keeps a span whose parent is missing as a top of its own, and gives nothing for no spans', () => {
    const t = new TraceBuilder();
    t.span('orphan', { parent: 'aaaaaaaaaaaaaaaa', startMs: 5 });
    expect(describeSpans(t.spans).map((v) => [v.span.name, v.parentSpanId, v.depth])).toEqual([['orphan', null, 0]]);
    expect(describeSpans([])).toEqual([]);
  });
});
