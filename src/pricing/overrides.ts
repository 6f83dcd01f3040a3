import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../lib/index.js';

/** One local price (config/pricing.yaml): USD per million tokens for matching calls. */
export interface PriceOverride {
  /** Provider as runs name it (OTel well-known value, lower case); `*` matches any, even none. */
  provider: string;
  /** Model name pattern, `*` matching any run of characters, case-insensitive, whole name. */
  model: string;
  /** {@link model} compiled once. */
  modelRegex: RegExp;
  inputMtok: number;
  outputMtok: number;
  cacheReadMtok: number | null;
  cacheWriteMtok: number | null;
  /** First day (UTC, `YYYY-MM-DD`) the price applies to runs; null: always. */
  effectiveFrom: string | null;
}

const usdPerMillion = z.number({ error: 'must be a non-negative number of USD per million tokens' }).min(0);

const entrySchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  input_mtok: usdPerMillion,
  output_mtok: usdPerMillion,
  cache_read_mtok: usdPerMillion.optional(),
  cache_write_mtok: usdPerMillion.optional(),
  effective_from: z
    .string({ error: 'must be a date as YYYY-MM-DD' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD' })
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { error: 'must be a real calendar date' })
    .optional(),
});

const fileSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({ overrides: z.preprocess((v) => v ?? [], z.array(entrySchema)) }),
);

/**
 * Parses the text of a pricing overrides file (`overrides:` list, see config/pricing.yaml).
 * An empty file means no overrides. Throws {@link ConfigError} naming every problem with its
 * path when the text is not YAML or an entry is invalid.
 */
export function parseOverrides(text: string, file: string): PriceOverride[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `is not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}` }]);
  }
  const result = fileSchema.safeParse(doc);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(file)', message: i.message }));
    throw new ConfigError(file, issues);
  }
  return result.data.overrides.map((e) => ({
    provider: e.provider.toLowerCase(),
    model: e.model,
    modelRegex: patternRegex(e.model),
    inputMtok: e.input_mtok,
    outputMtok: e.output_mtok,
    cacheReadMtok: e.cache_read_mtok ?? null,
    cacheWriteMtok: e.cache_write_mtok ?? null,
    effectiveFrom: e.effective_from ?? null,
  }));
}

/** A model pattern as an anchored, case-insensitive regular expression. */
function patternRegex(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'i');
}

/**
 * The override for a call of `model` by `provider` at time `at`: among entries whose
 * provider and model match and whose `effective_from` is not after `at`, the one with the
 * latest `effective_from` (a later entry in the file wins a tie); undefined when none does.
 */
export function findOverride(
  overrides: readonly PriceOverride[],
  provider: string | null,
  model: string,
  at: Date,
): PriceOverride | undefined {
  let best: PriceOverride | undefined;
  for (const entry of overrides) {
    if (entry.provider !== '*' && entry.provider !== provider?.toLowerCase()) continue;
    if (!entry.modelRegex.test(model)) continue;
    if (entry.effectiveFrom !== null && Date.parse(`${entry.effectiveFrom}T00:00:00Z`) > at.getTime()) continue;
    if (best === undefined || (entry.effectiveFrom ?? '') >= (best.effectiveFrom ?? '')) best = entry;
  }
  return best;
}
