import { roundNano } from '../lib/index.js';
import type { CostSource, ModelUsage, RunCommon, TokenUsage } from '../model/index.js';

/** The cost a run was given, as metadata.yaml states it. */
export interface MetadataCost {
  costUsd: number;
  costSource: CostSource;
  usageByModel: ModelUsage[];
  priceBookVersion: string | null;
}

const AUDIO_KEYS = [
  ['audio_input', 'audioInput'],
  ['audio_output', 'audioOutput'],
  ['audio_cache_read', 'audioCacheRead'],
] as const satisfies readonly (readonly [string, keyof TokenUsage])[];

const COST_SOURCES: readonly CostSource[] = ['reported', 'estimated', 'mixed', 'none'];

/** Distinct non-null values in order of first use; only worth listing when there are two or more. */
function distinct(values: readonly (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))];
}

/** Audio counts are written only when a call had audio, so text-only runs read as before. */
function audioEntry(usage: TokenUsage): Record<string, number> {
  const entry: Record<string, number> = {};
  for (const [key, field] of AUDIO_KEYS) if (usage[field] > 0) entry[key] = usage[field];
  return entry;
}

function usageEntry(group: ModelUsage): Record<string, unknown> {
  return {
    provider: group.provider,
    model: group.model,
    calls: group.calls,
    input: group.usage.input,
    output: group.usage.output,
    cache_read: group.usage.cacheRead,
    cache_write: group.usage.cacheWrite,
    reasoning: group.usage.reasoning,
    ...audioEntry(group.usage),
    reported_cost_usd: group.reportedCostUsd === null ? null : roundNano(group.reportedCostUsd),
    estimated_cost_usd: group.estimatedCostUsd === null ? null : roundNano(group.estimatedCostUsd),
  };
}

/**
 * The extras that explain a run's cost: `cost_source`, `price_book_version`, `providers` and
 * `models` (only when more than one was used), and `usage_by_model`, which carries what
 * `paracle runs reprice` needs to price the run again without its spans.
 */
export function costExtras(run: Pick<RunCommon, 'costSource' | 'priceBookVersion' | 'usageByModel'>): Record<string, unknown> {
  const providers = distinct(run.usageByModel.map((g) => g.provider));
  const models = distinct(run.usageByModel.map((g) => g.model));
  return {
    cost_source: run.costSource,
    price_book_version: run.priceBookVersion,
    ...(providers.length > 1 ? { providers } : {}),
    ...(models.length > 1 ? { models } : {}),
    usage_by_model: run.usageByModel.map(usageEntry),
  };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
const usd = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * The `usage_by_model` of parsed metadata.yaml fields; entries that are not maps are
 * skipped, and an absent list (a run written before it existed) gives none.
 */
export function readUsageByModel(fields: Record<string, unknown>): ModelUsage[] {
  const list = Array.isArray(fields.usage_by_model) ? (fields.usage_by_model as unknown[]) : [];
  return list.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const e = item as Record<string, unknown>;
    return [
      {
        provider: text(e.provider),
        model: text(e.model),
        calls: Math.max(1, count(e.calls)),
        usage: {
          input: count(e.input),
          output: count(e.output),
          cacheRead: count(e.cache_read),
          cacheWrite: count(e.cache_write),
          reasoning: count(e.reasoning),
          audioInput: count(e.audio_input),
          audioOutput: count(e.audio_output),
          audioCacheRead: count(e.audio_cache_read),
        },
        reportedCostUsd: usd(e.reported_cost_usd),
        estimatedCostUsd: usd(e.estimated_cost_usd),
      },
    ];
  });
}

/** The cost fields of parsed metadata.yaml (agent `cost_usd` or workflow `cost_total_usd`). */
export function readMetadataCost(fields: Record<string, unknown>): MetadataCost {
  const source = COST_SOURCES.find((s) => s === fields.cost_source) ?? 'none';
  return {
    costUsd: usd(fields.kind === 'workflow' ? fields.cost_total_usd : fields.cost_usd) ?? 0,
    costSource: source,
    usageByModel: readUsageByModel(fields),
    priceBookVersion: text(fields.price_book_version),
  };
}

/**
 * Parsed metadata.yaml fields with the cost replaced by `cost`, every other field and the
 * order of keys kept (new keys go last).
 */
export function withMetadataCost(fields: Record<string, unknown>, cost: MetadataCost): Record<string, unknown> {
  const next: Record<string, unknown> = { ...fields };
  next[fields.kind === 'workflow' ? 'cost_total_usd' : 'cost_usd'] = cost.costUsd;
  delete next.providers;
  delete next.models;
  return Object.assign(next, costExtras({ costSource: cost.costSource, priceBookVersion: cost.priceBookVersion, usageByModel: cost.usageByModel }));
}
