import { roundNano } from '../lib/index.js';
import { usageOf } from '../model/index.js';
import type { CostSource, ModelUsage, TokenUsage } from '../model/index.js';
import type { PriceBook } from './price-book.js';

/** A run's cost once the price book has estimated what no span reported. */
export interface RunCost {
  /** Reported plus estimated (USD). */
  costUsd: number;
  costSource: CostSource;
  /** The groups given, each with `estimatedCostUsd` set where the book has a price. */
  usageByModel: ModelUsage[];
  /** The book's version when it had anything to price; null when every cost was reported. */
  priceBookVersion: string | null;
  /** Groups whose tokens needed a price the book does not have: their cost counts as 0. */
  unpriced: ModelUsage[];
}

const scaled = (usage: TokenUsage, factor: number): TokenUsage => usageOf((key) => usage[key] * factor);

/**
 * The estimate of one group: its tokens priced as `calls` equal calls, so per-request
 * prices count every call and a stored run reprices to the same figure from its metadata.
 * (Tiered prices see the average call, not each one.)
 */
function estimate(group: ModelUsage, book: PriceBook, at: Date): number | null {
  const calls = Math.max(1, group.calls);
  const perCall = book.price(group.provider, group.model, scaled(group.usage, 1 / calls), at);
  return perCall === null ? null : roundNano(perCall * calls);
}

/**
 * Prices the tokens of a run that no reported cost covers (CONVENTIONS.md §8). Reported
 * costs are kept as they are. `costSource`: `mixed` when both kinds are present, `reported`
 * or `estimated` when one is, `none` when neither (no cost reported and no price known).
 * A model the book does not know costs 0 and is listed in `unpriced`; never a guess.
 * `at` is when the run started: prices that changed over time apply as they were then.
 */
export function priceUsage(groups: readonly ModelUsage[], book: PriceBook, at: Date): RunCost {
  const usageByModel = groups.map((g) => ({
    ...g,
    estimatedCostUsd: g.reportedCostUsd === null ? estimate(g, book, at) : null,
  }));
  const reported = usageByModel.some((g) => g.reportedCostUsd !== null);
  const estimated = usageByModel.some((g) => g.estimatedCostUsd !== null);
  const total = usageByModel.reduce((sum, g) => sum + (g.reportedCostUsd ?? 0) + (g.estimatedCostUsd ?? 0), 0);
  return {
    costUsd: roundNano(total),
    costSource: reported ? (estimated ? 'mixed' : 'reported') : estimated ? 'estimated' : 'none',
    usageByModel,
    priceBookVersion: usageByModel.some((g) => g.reportedCostUsd === null) ? book.version : null,
    unpriced: usageByModel.filter((g) => g.reportedCostUsd === null && g.estimatedCostUsd === null),
  };
}

/**
 * The estimated cost of one model call with `usage` (a span that reported none), as its run
 * would be priced; null when the book has no price for the model.
 */
export function estimateCall(
  call: { provider: string | null; model: string | null; usage: TokenUsage },
  book: PriceBook,
  at: Date,
): number | null {
  return estimate({ ...call, calls: 1, reportedCostUsd: null, estimatedCostUsd: null }, book, at);
}
