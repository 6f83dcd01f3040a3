import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { roundNano } from '../../../src/lib/index.js';
import { createPriceBook, priceUsage } from '../../../src/pricing/index.js';
import { mapTrace } from '../../../src/semconv/index.js';
import { SpanKind, TraceBuilder } from '../../helpers/span-builder.js';

/** A cache-heavy agent turn: most of the prompt read from cache, a fresh part written to it. */
const TURN = { input: 120_000, cacheRead: 100_000, cacheWrite: 15_000, output: 4_000, reasoning: 1_500 };

/**
 * One call as each provider's instrumentation reports it: OpenAI and Gemini count the input
 * with its cached part (OTel semantics); Anthropic and Bedrock count it without (their API
 * fields, with a total that includes the cache).
 */
function call(provider: string, model: string, exclusive: boolean): TraceBuilder {
  const b = new TraceBuilder();
  const input = exclusive ? TURN.input - TURN.cacheRead - TURN.cacheWrite : TURN.input;
  b.span(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': TURN.output,
      'gen_ai.usage.total_tokens': input + TURN.output + (exclusive ? TURN.cacheRead + TURN.cacheWrite : 0),
      'gen_ai.usage.cache_read.input_tokens': TURN.cacheRead, 'gen_ai.usage.cache_creation.input_tokens': TURN.cacheWrite,
      'gen_ai.usage.reasoning.output_tokens': TURN.reasoning,
    },
  });
  return b;
}

// [provider, model, input counted without the cache, USD as genai-prices 0.1.8 computes the turn]
const TABLE: [string, string, boolean, number][] = [
  ['openai', 'gpt-4o', false, 0.215],
  ['openai', 'gpt-4o-mini', false, 0.0129],
  ['openai', 'o3-mini', false, 0.0946],
  ['anthropic', 'claude-sonnet-4-5', true, 0.16125],
  ['anthropic', 'claude-3-5-haiku-latest', true, 0.043],
  ['anthropic', 'claude-opus-4-1', true, 0.80625],
  ['gcp.gemini', 'gemini-2.5-pro', false, 0.0775],
  ['gcp.gemini', 'gemini-2.5-flash', false, 0.019],
  ['aws.bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', true, 0.16125],
  ['aws.bedrock', 'amazon.nova-pro-v1:0', true, 0.0488],
];

const BOOK = createPriceBook([], 'bundled');
const GENAI_PRICES_IDS: Record<string, string> = { 'gcp.gemini': 'google', 'aws.bedrock': 'aws' };

describe('cache-heavy usage priced exactly as genai-prices computes it (10 models, 4 providers)', () => {
  it.each(TABLE)('%s %s', (provider, model, exclusive, usd) => {
    const record = mapTrace(call(provider, model, exclusive).trace(), { unrecognized: 'agent' });
    expect(record?.usage).toEqual({ input: TURN.input, output: TURN.output, cacheRead: TURN.cacheRead, cacheWrite: TURN.cacheWrite, reasoning: TURN.reasoning, audioInput: 0, audioOutput: 0, audioCacheRead: 0 });
    const cost = priceUsage(record?.usageByModel ?? [], BOOK, new Date(record?.startedAtMs ?? 0));
    const library = calcPrice(
      { input_tokens: TURN.input, cache_read_tokens: TURN.cacheRead, cache_write_tokens: TURN.cacheWrite, output_tokens: TURN.output, output_reasoning_tokens: TURN.reasoning },
      model,
      { providerId: GENAI_PRICES_IDS[provider] ?? provider, timestamp: new Date(record?.startedAtMs ?? 0) },
    );
    expect(cost).toMatchObject({ costUsd: roundNano(library?.total_price ?? Number.NaN), costSource: 'estimated' });
    expect(cost.costUsd).toBeCloseTo(usd, 9);
  });

  it('prices cache reads far below input: the same turn without the cache breakdown costs several times more', () => {
    const b = new TraceBuilder();
    b.span('chat claude-sonnet-4-5', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5', 'gen_ai.usage.input_tokens': TURN.input, 'gen_ai.usage.output_tokens': TURN.output } });
    const record = mapTrace(b.trace(), { unrecognized: 'agent' });
    const flat = priceUsage(record?.usageByModel ?? [], BOOK, new Date(0)).costUsd;
    expect(flat).toBeCloseTo(0.42, 9);
    expect(flat / 0.16125).toBeGreaterThan(2.5);
  });
});
