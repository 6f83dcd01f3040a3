import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { roundNano } from '../../../src/lib/index.js';
import type { ModelUsage, TokenUsage } from '../../../src/model/index.js';
import { createPriceBook, parseOverrides, priceUsage } from '../../../src/pricing/index.js';
import { mapTrace } from '../../../src/semconv/index.js';
import { readMetadataCost } from '../../../src/store/index.js';
import { costExtras } from '../../../src/store/metadata-cost.js';
import { BASE_MS, SpanKind, TraceBuilder } from '../../helpers/span-builder.js';
import type { AttributeInit } from '../../helpers/span-builder.js';

const BOOK = createPriceBook([], 'bundled');
const AT = new Date(BASE_MS);

/** The run's estimated cost, mapped from one call's attributes and priced by the bundled book. */
function priced(model: string, usage: AttributeInit): { usage: TokenUsage; costUsd: number; groups: ModelUsage[] } {
  const b = new TraceBuilder();
  b.span(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model, ...usage },
  });
  const record = mapTrace(b.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  const cost = priceUsage(record.usageByModel, BOOK, AT);
  expect(cost.costSource).toBe('estimated');
  return { usage: record.usage, costUsd: cost.costUsd, groups: cost.usageByModel };
}

const library = (usage: Record<string, number>, model: string): number =>
  roundNano(calcPrice(usage, model, { providerId: 'openai', timestamp: AT })?.total_price ?? Number.NaN);

describe('audio priced at its own genai-prices rate (0.1.8 data)', () => {
  it('gpt-realtime: text, audio and cached audio each at their rate, exactly as genai-prices computes the realtime usage', () => {
    // A Realtime API response.usage: 1000 in (600 audio), 200 of them cached (150 audio), 500 out (400 audio).
    const { costUsd } = priced('gpt-realtime', {
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.audio.input_tokens': 600, 'gen_ai.usage.audio.output_tokens': 400, 'gen_ai.usage.audio.cache_read.input_tokens': 150,
    });
    const expected = library(
      { input_tokens: 1000, output_tokens: 500, cache_read_tokens: 200, input_audio_tokens: 600, output_audio_tokens: 400, cache_audio_read_tokens: 150 },
      'gpt-realtime',
    );
    expect(costUsd).toBe(expected);
    // text in 350 × $4 + cached text 50 × $0.4 + audio in 450 × $32 + cached audio 150 × $0.4 + text out 100 × $16 + audio out 400 × $64, per million
    expect(costUsd).toBeCloseTo(0.04308, 9);
    expect(costUsd).toBeGreaterThan(library({ input_tokens: 1000, output_tokens: 500, cache_read_tokens: 200 }, 'gpt-realtime') * 2);
  });

  it('gpt-audio-2025-08-28 through OpenInference: audio at $32/$64 per million, not at the text rate', () => {
    const { usage, costUsd } = priced('gpt-audio-2025-08-28', {
      'llm.token_count.prompt': 1000, 'llm.token_count.completion': 500,
      'llm.token_count.prompt_details.audio': 600, 'llm.token_count.completion_details.audio': 400,
    });
    expect(usage).toMatchObject({ input: 1000, output: 500, audioInput: 600, audioOutput: 400 });
    expect(costUsd).toBe(library({ input_tokens: 1000, output_tokens: 500, input_audio_tokens: 600, output_audio_tokens: 400 }, 'gpt-audio-2025-08-28'));
    // text in 400 × $2.5 + audio in 600 × $32 + text out 100 × $10 + audio out 400 × $64, per million
    expect(costUsd).toBeCloseTo(0.0468, 9);
  });

  it('gpt-4o-audio-preview, which genai-prices gives no audio rate: audio at the text rate, counted once', () => {
    const { costUsd } = priced('gpt-4o-audio-preview-2025-06-03', {
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.audio_input_tokens': 600, 'gen_ai.usage.audio_output_tokens': 400,
    });
    expect(costUsd).toBe(library({ input_tokens: 1000, output_tokens: 500 }, 'gpt-4o-audio-preview-2025-06-03'));
    expect(costUsd).toBeCloseTo(0.0075, 9);
  });

  it('cached and audio input without the cached-audio figure: priced with the least overlap the counts allow, never left unpriced', () => {
    // No overlap needed: 200 cached + 600 audio fit in 1000.
    const apart = priced('gpt-realtime', {
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.audio_input_tokens': 600, 'gen_ai.usage.audio_output_tokens': 400,
    });
    const base = { input_tokens: 1000, output_tokens: 500, input_audio_tokens: 600, output_audio_tokens: 400 };
    expect(apart.costUsd).toBe(library({ ...base, cache_read_tokens: 200, cache_audio_read_tokens: 0 }, 'gpt-realtime'));
    // 500 cached + 600 audio exceed 1000: at least 100 cached tokens are audio.
    const forced = priced('gpt-realtime', {
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.cache_read.input_tokens': 500,
      'gen_ai.usage.audio_input_tokens': 600, 'gen_ai.usage.audio_output_tokens': 400,
    });
    expect(forced.costUsd).toBe(library({ ...base, cache_read_tokens: 500, cache_audio_read_tokens: 100 }, 'gpt-realtime'));
  });

  it('an override without audio rates prices audio as input and output', () => {
    const overrides = parseOverrides('overrides:\n  - provider: openai\n    model: "gpt-realtime"\n    input_mtok: 1\n    output_mtok: 2\n', 'pricing.yaml');
    const book = createPriceBook(overrides, 'test');
    const usage: TokenUsage = { input: 1_000_000, output: 1_000_000, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 600_000, audioOutput: 400_000, audioCacheRead: 0 };
    expect(book.price('openai', 'gpt-realtime', usage, AT)).toBeCloseTo(3, 9);
  });

  it('metadata.yaml keeps the audio of usage_by_model, so reprice gives the same figure', () => {
    const run = priced('gpt-realtime', {
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.audio.input_tokens': 600, 'gen_ai.usage.audio.output_tokens': 400, 'gen_ai.usage.audio.cache_read.input_tokens': 150,
    });
    const fields = costExtras({ costSource: 'estimated', priceBookVersion: 'bundled', usageByModel: run.groups });
    expect(fields.usage_by_model).toEqual([expect.objectContaining({ input: 1000, audio_input: 600, audio_output: 400, audio_cache_read: 150 })]);
    const stored = readMetadataCost({ kind: 'agent', ...JSON.parse(JSON.stringify(fields)) as Record<string, unknown> });
    const repriced = priceUsage(stored.usageByModel.map((g) => ({ ...g, estimatedCostUsd: null })), BOOK, AT);
    expect(repriced.costUsd).toBe(run.costUsd);
    // A text-only call writes no audio keys: metadata of text runs is as before.
    const text = priced('gpt-4o', { 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 });
    const [textEntry] = costExtras({ costSource: 'estimated', priceBookVersion: 'bundled', usageByModel: text.groups }).usage_by_model as Record<string, unknown>[];
    expect(textEntry).toMatchObject({ input: 10, output: 5 });
    expect(Object.keys(textEntry ?? {}).filter((k) => k.startsWith('audio'))).toEqual([]);
  });
});
