import { calcPrice } from '@pydantic/genai-prices';
import type { ModelPrice, Provider } from '@pydantic/genai-prices';
import type { TokenUsage } from '../model/index.js';
import { findOverride } from './overrides.js';
import type { PriceOverride } from './overrides.js';

/** Prices LLM calls: local overrides first, then the genai-prices data. */
export interface PriceBook {
  /** The bundled data's version, plus a hash of the data file and of the overrides when used. */
  readonly version: string;
  /**
   * USD for one call of `model` by `provider` with `usage` (input inclusive of cache) at
   * time `at`; null when the book has no price for it. Never throws.
   */
  price(provider: string | null, model: string | null, usage: TokenUsage, at: Date): number | null;
}

/**
 * Run provider names (OTel well-known values) that genai-prices spells differently; others
 * it finds itself (`aws.bedrock` → aws, `gcp.vertex_ai` → google, `mistral_ai` → mistral).
 */
const PROVIDER_IDS: ReadonlyMap<string, string> = new Map([
  ['x_ai', 'x-ai'],
  ['azure.ai.openai', 'azure'],
  ['azure.ai.inference', 'azure'],
]);

/**
 * The usage keys genai-prices prices: input inclusive of cache and audio, output inclusive
 * of reasoning and audio, and those parts, each at its own rate where the model has one
 * (cache reads at a tenth of input, audio at gpt-realtime's audio rates ...) and at the
 * rate of the whole otherwise. Audio larger than its whole is cut to it (the library
 * refuses such usage). Cached audio that no span states is the least the counts imply:
 * cached and audio tokens overlap only as far as they together exceed the input (the
 * library refuses to guess it when a model prices cached audio).
 */
function libraryUsage(usage: TokenUsage): Record<string, number> {
  const audioInput = Math.min(usage.audioInput, usage.input);
  const impliedAudioCache = Math.max(0, usage.cacheRead + audioInput - usage.input);
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_tokens: usage.cacheRead,
    cache_write_tokens: usage.cacheWrite,
    output_reasoning_tokens: usage.reasoning,
    input_audio_tokens: audioInput,
    output_audio_tokens: Math.min(usage.audioOutput, usage.output),
    cache_audio_read_tokens: Math.max(impliedAudioCache, Math.min(usage.audioCacheRead, usage.cacheRead, audioInput)),
  };
}

function overrideProvider(entry: PriceOverride, model: string): Provider {
  const prices: ModelPrice = { input_mtok: entry.inputMtok, output_mtok: entry.outputMtok };
  if (entry.cacheReadMtok !== null) prices.cache_read_mtok = entry.cacheReadMtok;
  if (entry.cacheWriteMtok !== null) prices.cache_write_mtok = entry.cacheWriteMtok;
  return {
    id: 'paracle-override',
    name: 'config/pricing.yaml',
    api_pattern: '',
    models: [{ id: model, match: { equals: model }, prices }],
  };
}

/** genai-prices' price, or null; its own errors (usage it finds inconsistent) mean "no price". */
function library(usage: TokenUsage, model: string, at: Date, options: { providerId?: string; provider?: Provider }): number | null {
  try {
    return calcPrice(libraryUsage(usage), model, { ...options, timestamp: at })?.total_price ?? null;
  } catch {
    return null;
  }
}

/**
 * The bundled (or loaded) data's price: with a provider, only that provider's models (a
 * self-hosted model is never priced as some cloud's); without one, genai-prices matches
 * the provider from the model name. `provider/model` ids (gateways) are tried split.
 */
function bundledPrice(provider: string | null, model: string, usage: TokenUsage, at: Date): number | null {
  const providerId = provider === null ? undefined : (PROVIDER_IDS.get(provider) ?? provider);
  const direct = library(usage, model, at, providerId === undefined ? {} : { providerId });
  if (direct !== null) return direct;
  const slash = model.indexOf('/');
  if (slash <= 0) return null;
  const prefix = model.slice(0, slash).toLowerCase();
  return library(usage, model.slice(slash + 1), at, { providerId: PROVIDER_IDS.get(prefix) ?? prefix });
}

/**
 * A price book from parsed overrides; `version` names the data behind it. The genai-prices
 * data in use is the library's active data (the bundled one, unless a data file replaced it).
 */
export function createPriceBook(overrides: readonly PriceOverride[], version: string): PriceBook {
  return {
    version,
    price(provider, model, usage, at) {
      if (model === null) return null;
      const entry = findOverride(overrides, provider, model, at);
      if (entry !== undefined) return library(usage, model, at, { provider: overrideProvider(entry, model) });
      return bundledPrice(provider, model, usage, at);
    },
  };
}
