import { roundNano } from '../lib/index.js';
import { TOKEN_USAGE_KEYS, emptyUsage } from '../model/index.js';
import type { ModelUsage, UsageShare } from '../model/index.js';

/**
 * Groups a run's usage shares by (provider, model) and by whether a reported cost covers
 * them, in order of first use: tokens with a reported cost keep it, the others await the
 * price book (`estimatedCostUsd` null).
 */
export function usageByModel(shares: readonly UsageShare[]): ModelUsage[] {
  const groups = new Map<string, ModelUsage>();
  for (const share of shares) {
    const key = JSON.stringify([share.provider, share.model, share.costReported]);
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        provider: share.provider,
        model: share.model,
        usage: emptyUsage(),
        calls: 0,
        reportedCostUsd: share.costReported ? 0 : null,
        estimatedCostUsd: null,
      };
      groups.set(key, group);
    }
    group.calls++;
    for (const key of TOKEN_USAGE_KEYS) group.usage[key] += share.usage[key];
    if (group.reportedCostUsd !== null) group.reportedCostUsd = roundNano(group.reportedCostUsd + share.costUsd);
  }
  return [...groups.values()];
}
