import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { RunRecord } from '../../../src/model/index.js';
import { keyValues, SpanKind, TraceBuilder } from '../../helpers/span-builder.js';
import { agentAlone, anthropicCachedCall, callSeenTwice, chatAttributes, codingAgent } from '../../fixtures/semconv/otel-genai.js';

const OPTIONS = { unrecognized: 'agent' } as const;

function map(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), OPTIONS);
  if (record === null) throw new Error('expected a run record');
  return record;
}

const NO_CACHE = { cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 };

describe('tokens counted once (CONVENTIONS.md §8)', () => {
  it('sums two chat calls under an invoke_agent that reports nothing', () => {
    const { builder, firstChat, secondChat } = codingAgent('none');
    const run = map(builder);
    expect(run.usage).toEqual({ input: 1800, output: 650, ...NO_CACHE });
    expect(run.usageCountedSpans).toEqual([firstChat.spanId, secondChat.spanId]);
  });

  it('counts an aggregate parent that repeats its children once, crediting the calls', () => {
    const { builder, firstChat, secondChat } = codingAgent('repeats-children');
    const run = map(builder);
    expect(run.usage).toEqual({ input: 1800, output: 650, ...NO_CACHE });
    expect(run.usageCountedSpans).toEqual([firstChat.spanId, secondChat.spanId]);
  });

  it('lets children win over a parent that holds only the last call', () => {
    const run = map(codingAgent('last-call-only').builder);
    expect(run.usage).toEqual({ input: 1800, output: 650, ...NO_CACHE });
  });

  it('counts a parent whose children were not instrumented', () => {
    const builder = agentAlone();
    const run = map(builder);
    expect(run.usage).toEqual({ input: 1200, output: 300, ...NO_CACHE });
    expect(run.usageCountedSpans).toEqual([builder.spans[0]?.spanId]);
  });

  it('counts two spans with the same gen_ai.response.id once, from the deeper one', () => {
    const builder = callSeenTwice();
    const gateway = builder.spans[3];
    const run = map(builder);
    expect(run.usage).toEqual({ input: 100, output: 20, ...NO_CACHE });
    expect(run.usageCountedSpans).toEqual([gateway?.spanId]);
  });

  it('adds Anthropic cache reads and writes to an input that excludes them', () => {
    const run = map(anthropicCachedCall());
    expect(run.usage).toEqual({ input: 3512, output: 300, cacheRead: 3000, cacheWrite: 500, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });
  });

  it('keeps an OTel input that already includes its cached part, and reasoning as a subset of output', () => {
    const builder = new TraceBuilder();
    builder.span('chat o3-mini', {
      attributes: {
        ...chatAttributes({ input: 4000, output: 900, id: 'chatcmpl-R' }),
        'gen_ai.usage.cache_read.input_tokens': 3000,
        'gen_ai.usage.reasoning.output_tokens': 700,
      },
    });
    expect(map(builder).usage).toEqual({ input: 4000, output: 900, cacheRead: 3000, cacheWrite: 0, reasoning: 700, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });
  });

  it('reads one key per field: the released name wins over the deprecated alias, never both', () => {
    const builder = new TraceBuilder();
    builder.span('chat gpt-4o', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': 50,
        'gen_ai.usage.prompt_tokens': 50,
        'gen_ai.usage.completion_tokens': 7,
        'gen_ai.usage.cache_read_input_tokens': 20,
        'gen_ai.usage.cache_creation_input_tokens': 10,
      },
    });
    expect(map(builder).usage).toEqual({ input: 50, output: 7, cacheRead: 20, cacheWrite: 10, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });
  });

  it('applies eff() per field: a parent may win one field and lose another', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', {
      endMs: 100,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 500 },
    });
    builder.span('chat m', { parent: root, attributes: chatAttributes({ input: 300, output: 40, id: 'c1' }) });
    expect(map(builder).usage).toMatchObject({ input: 500, output: 40 });
  });

  it('uses a fallback llm span (usage, no operation name) like any other call', () => {
    const builder = new TraceBuilder();
    const root = builder.span('agent run', { endMs: 100, attributes: { 'paracle.agent.id': 'bare' } });
    builder.span('completion', { parent: root, kind: SpanKind.CLIENT, attributes: { 'gen_ai.usage.input_tokens': 9, 'gen_ai.usage.output_tokens': 1 } });
    const run = map(builder);
    expect(run.usage).toMatchObject({ input: 9, output: 1 });
  });
});

describe('reported cost (CONVENTIONS.md §8)', () => {
  it('is 0 with cost_source none when no span reports cost', () => {
    const run = map(codingAgent().builder);
    expect(run.costUsd).toBe(0);
    expect(run.costSource).toBe('none');
  });

  it('aggregates reported cost with eff(): paracle.cost_usd on the root beats smaller children', () => {
    const { builder, root } = codingAgent();
    root.attributes.push(...keyValues({ 'paracle.cost_usd': 0.05 }));
    const run = map(builder);
    expect(run.costUsd).toBe(0.05);
    expect(run.costSource).toBe('reported');
  });

  it('sums the calls\' gen_ai.usage.cost without binary noise', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    builder.span('chat m', { parent: root, attributes: chatAttributes({ input: 1, output: 1, id: 'c1' }, { 'gen_ai.usage.cost': 0.1 }) });
    builder.span('chat m', { parent: root, startMs: 2, attributes: chatAttributes({ input: 1, output: 1, id: 'c2' }, { 'gen_ai.usage.cost': 0.2 }) });
    const run = map(builder);
    expect(run.costUsd).toBe(0.3);
    expect(run.costSource).toBe('reported');
  });
});

describe('usage shares (who used the tokens)', () => {
  it('credits each counted call to its agent, provider and model, adding up to the totals', () => {
    const { builder, firstChat, secondChat } = codingAgent('repeats-children');
    const run = map(builder);
    expect(run.usageShares).toEqual([
      { spanId: firstChat.spanId, agentId: 'asst_5j66UpCpwteGg4YSxUnt7lPY', provider: 'openai', model: 'gpt-4o-2024-08-06', usage: { input: 1000, output: 400, ...NO_CACHE }, costUsd: 0, costReported: false },
      { spanId: secondChat.spanId, agentId: 'asst_5j66UpCpwteGg4YSxUnt7lPY', provider: 'openai', model: 'gpt-4o-2024-08-06', usage: { input: 800, output: 250, ...NO_CACHE }, costUsd: 0, costReported: false },
    ]);
  });
});
