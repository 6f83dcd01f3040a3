import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/model/index.js';
import { pricedRun } from '../../helpers/priced-run.js';
import { anthropicCachedCall, codingAgent } from '../../fixtures/semconv/otel-genai.js';
import {
  langSmithChain,
  langfuseTrace,
  oneCallTwoInstrumentations,
  smolagentsRun,
  traceloopRewrittenVercel,
  vercelGenerateText,
} from '../../fixtures/semconv/families.js';

const run = pricedRun;

const tokens = (r: RunRecord): [number, number] => [r.usage.input, r.usage.output];

// gpt-4o-mini: $0.15 / $0.60 per million; gpt-4o: $2.50 / $10; claude-3-5-sonnet: $3 / $15, cache read $0.30, write $3.75.
describe('each family gives the same, correct run (CONVENTIONS.md §2–§8)', () => {
  it('Vercel ai 4.x generateText: the root holds only the last step, the three doGenerate calls count', () => {
    const builder = vercelGenerateText('v4');
    const r = run(builder);
    expect(r).toMatchObject({ kind: 'agent', agentId: 'support-agent', provider: 'openai', model: 'gpt-4o-mini-2024-07-18' });
    expect(tokens(r)).toEqual([600, 90]);
    expect(r.usageCountedSpans).toEqual(builder.spans.filter((s) => s.name.endsWith('doGenerate')).map((s) => s.spanId));
    expect(r.costUsd).toBe(0.000144);
    expect(r.costSource).toBe('estimated');
  });

  it('Vercel ai 5.x reads inputTokens/outputTokens the same way', () => {
    const r = run(vercelGenerateText('v5'));
    expect(r).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini-2024-07-18' });
    expect(tokens(r)).toEqual([600, 90]);
    expect(r.costUsd).toBe(0.000144);
  });

  it('Vercel v6+: a root equal to its children counts once', () => {
    const r = run(vercelGenerateText('v6'));
    expect(tokens(r)).toEqual([600, 90]);
    expect(r.usageByModel).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini-2024-07-18', usage: { input: 600, output: 90, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 }, calls: 3, reportedCostUsd: null, estimatedCostUsd: 0.000144 },
    ]);
    expect(r.costSource).toBe('estimated');
  });

  it('Traceloop-rewritten Vercel root: agent by traceloop.span.kind, children still win', () => {
    const r = run(traceloopRewrittenVercel());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'support-agent', agentName: 'support-agent', model: 'gpt-4o-mini' });
    expect(tokens(r)).toEqual([600, 90]);
    expect(r.costUsd).toBe(0.000144);
    expect(r.costSource).toBe('estimated');
  });

  it('OTel invoke_agent repeating its chat children counts each call once', () => {
    const r = run(codingAgent('repeats-children').builder);
    expect(tokens(r)).toEqual([1800, 650]);
    expect(r.costUsd).toBe(0.011);
    expect(r.costSource).toBe('estimated');
  });

  it('OpenInference smolagents AGENT aggregate: the LLM calls count, the aggregate does not add', () => {
    const r = run(smolagentsRun());
    expect(r).toMatchObject({ kind: 'agent', agentId: 'researcher', agentName: 'Researcher', provider: 'openai', model: 'gpt-4o', temperature: 0.5 });
    expect(tokens(r)).toEqual([3000, 500]);
    expect(r.input).toEqual({ task: 'Summarise the paper' });
    expect(r.costUsd).toBe(0.0125);
    expect(r.costSource).toBe('estimated');
  });

  it('two instrumentations wrapping one call (same gen_ai.response.id) count once', () => {
    const builder = oneCallTwoInstrumentations();
    const r = run(builder);
    expect(tokens(r)).toEqual([100, 20]);
    expect(r.usageCountedSpans).toEqual([builder.spans[1]?.spanId]);
    expect(r.costUsd).toBe(0.000027);
  });

  it('Anthropic-native input without cache: cache reads and writes are added in and priced at their rates', () => {
    const r = run(anthropicCachedCall());
    expect(r.usage).toEqual({ input: 3512, output: 300, cacheRead: 3000, cacheWrite: 500, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });
    // 12 × $3 + 3000 × $0.30 + 500 × $3.75 + 300 × $15, per million.
    expect(r.costUsd).toBe(0.007311);
    expect(r.costSource).toBe('estimated');
  });

  it('LangSmith chain with usage: the llm run counts, ls_* metadata name provider, model, temperature', () => {
    const r = run(langSmithChain());
    expect(r).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0.7 });
    expect(tokens(r)).toEqual([150, 30]);
    expect(r.costUsd).toBe(0.0000405);
    expect(r.costSource).toBe('estimated');
  });

  it('Langfuse: usage_details and cost_details total are read, level ERROR is an error origin', () => {
    const r = run(langfuseTrace());
    expect(tokens(r)).toEqual([400, 50]);
    expect(r.costUsd).toBe(0.0015);
    expect(r.costSource).toBe('reported');
    expect(r.errorCount).toBe(1);
    expect(r.input).toEqual({ q: 'hi' });
  });
});

describe('cost source', () => {
  it('is mixed when one call reports cost and another is estimated', () => {
    const builder = langSmithChain();
    const root = builder.spans[0];
    builder.span('ChatAnthropic', {
      parent: root,
      startMs: 1600,
      endMs: 1900,
      attributes: { 'langsmith.span.kind': 'llm', 'llm.cost.prompt': 0.002, 'llm.cost.completion': 0.001, 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 },
    });
    const r = run(builder);
    expect(r.costSource).toBe('mixed');
    expect(r.costUsd).toBe(0.0030405);
  });

  it('is none with cost 0 for a model the price book does not know', () => {
    const builder = oneCallTwoInstrumentations();
    for (const span of builder.spans) span.attributes = span.attributes.filter((a) => !a.key.includes('model'));
    builder.spans[1]?.attributes.push({ key: 'gen_ai.request.model', value: { stringValue: 'mock-model-id' } });
    const r = run(builder);
    expect(r.costUsd).toBe(0);
    expect(r.costSource).toBe('none');
  });
});
