import { roundNano } from '../lib/index.js';
import { TOKEN_USAGE_KEYS, usageOf } from '../model/index.js';
import type { TokenUsage } from '../model/index.js';
import type { Field } from './fields.js';
import { resolve } from './precedence.js';
import { nearestIn } from './tree.js';
import type { SpanNode, SpanTree } from './tree.js';

type Measure = keyof TokenUsage | 'costUsd';
type Amounts = Partial<Record<Measure, number>>;

const MEASURE_FIELDS = {
  input: 'inputTokens',
  output: 'outputTokens',
  cacheRead: 'cacheReadTokens',
  cacheWrite: 'cacheWriteTokens',
  reasoning: 'reasoningTokens',
  audioInput: 'audioInputTokens',
  audioOutput: 'audioOutputTokens',
  audioCacheRead: 'audioCacheReadTokens',
  costUsd: 'costUsd',
} as const satisfies Record<Measure, Field>;

const MEASURES = Object.keys(MEASURE_FIELDS) as Measure[];

/** What one span contributed to the run's totals once every duplicate was discarded. */
export interface SpanShare {
  readonly node: SpanNode;
  readonly usage: TokenUsage;
  readonly costUsd: number;
  /** A counted reported cost covers this span's tokens: its own, or an enclosing span's. */
  readonly costReported: boolean;
}

/** Tokens and reported cost of a trace, each counted once (CONVENTIONS.md §8). */
export interface UsageCount {
  readonly usage: TokenUsage;
  readonly costUsd: number;
  /** True when any span reported a cost (even after it was found to be a duplicate). */
  readonly costReported: boolean;
  /** Contributing spans, earliest first; their amounts add up to the totals. */
  readonly shares: readonly SpanShare[];
}

/**
 * Counts tokens and reported cost over the whole trace. Per span, one key per field; an
 * input that leaves out its cached part is completed with it. Spans sharing a response id
 * describe one call: only the deepest keeps each amount; a cumulative aggregate (Strands)
 * keeps its tokens only when nothing below it reports any. Then per field,
 * `eff(span) = max(own, Σ eff(children))` and the run's value is Σ eff over the trace's
 * tops (eff of the root for a whole trace); a span contributes when its own amount beats
 * its children's, otherwise its children do.
 */
export function countUsage(tree: SpanTree): UsageCount {
  const own = new Map<SpanNode, Amounts>();
  for (const node of tree.byStart) {
    const amounts = ownAmounts(node);
    if (Object.keys(amounts).length > 0) own.set(node, amounts);
  }
  const costReported = [...own.values()].some((a) => a.costUsd !== undefined);
  dropResponseDuplicates(own);
  dropCumulativeAggregates(tree, own);
  const counted = new Map<SpanNode, Amounts>();
  // A measure no span reported counts nothing: a wide trace without usage costs no walk.
  const reported = MEASURES.filter((measure) => [...own.values()].some((a) => a[measure] !== undefined));
  for (const measure of reported) countMeasure(tree, own, measure, counted);
  const costedAbove = nearestIn(tree, (n) => counted.get(n)?.costUsd !== undefined);
  const shares = tree.byStart.flatMap((node) => {
    const amounts = counted.get(node);
    if (amounts === undefined) return [];
    const costReported = costedAbove(node) !== null;
    return [{ node, usage: tokenUsage(amounts), costUsd: amounts.costUsd ?? 0, costReported }];
  });
  const usage = tokenUsage({});
  for (const share of shares) for (const key of TOKEN_USAGE_KEYS) usage[key] += share.usage[key];
  const costUsd = shares.reduce((sum, s) => sum + s.costUsd, 0);
  return { usage, costUsd: roundNano(costUsd), costReported, shares };
}

function ownAmounts(node: SpanNode): Amounts {
  const amounts: Amounts = {};
  for (const measure of MEASURES) {
    const value = resolve(MEASURE_FIELDS[measure], node);
    if (value !== undefined && value >= 0) amounts[measure] = value;
  }
  if (cacheExcluded(node, amounts)) amounts.input = (amounts.input ?? 0) + (amounts.cacheRead ?? 0) + (amounts.cacheWrite ?? 0);
  return amounts;
}

/**
 * True when the span's input count leaves out the cached part (Anthropic-native, Bedrock,
 * Claude Code), where OTel and OpenAI count it inside: the emitter says so, or its total is
 * input + output + cache (Bedrock's and Strands' totals include the cache), or the cached
 * part alone is larger than the input.
 */
function cacheExcluded(node: SpanNode, amounts: Amounts): boolean {
  const cached = (amounts.cacheRead ?? 0) + (amounts.cacheWrite ?? 0);
  if (cached === 0) return false;
  const input = amounts.input ?? 0;
  if (resolve('cacheExcluded', node) === true || cached > input) return true;
  const total = resolve('totalTokens', node);
  const output = amounts.output ?? 0;
  return total !== undefined && total === input + output + cached && total !== input + output;
}

/**
 * A cumulative aggregate (Strands' agent spans sum every run of the Agent object) is no
 * measure of this run: its tokens count only when no span below it reports tokens.
 */
function dropCumulativeAggregates(tree: SpanTree, own: Map<SpanNode, Amounts>): void {
  const reportsBelow = new Set<SpanNode>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    if (node.children.some((c) => reportsBelow.has(c) || hasTokens(own.get(c)))) reportsBelow.add(node);
  }
  for (const [node, amounts] of own) {
    if (!reportsBelow.has(node) || resolve('cumulativeUsage', node) !== true) continue;
    for (const measure of MEASURES) if (measure !== 'costUsd') delete amounts[measure];
  }
}

function hasTokens(amounts: Amounts | undefined): boolean {
  return amounts !== undefined && MEASURES.some((m) => m !== 'costUsd' && amounts[m] !== undefined);
}

function dropResponseDuplicates(own: Map<SpanNode, Amounts>): void {
  const groups = new Map<string, SpanNode[]>();
  for (const node of own.keys()) {
    const id = resolve('responseId', node);
    if (id === undefined) continue;
    const group = groups.get(id) ?? [];
    group.push(node);
    groups.set(id, group);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const measure of MEASURES) {
      const holders = group.filter((n) => own.get(n)?.[measure] !== undefined);
      const keep = holders.reduce<SpanNode | undefined>((best, n) => (best === undefined || n.depth > best.depth ? n : best), undefined);
      for (const node of holders) if (node !== keep) delete own.get(node)?.[measure];
    }
  }
}

function countMeasure(tree: SpanTree, own: Map<SpanNode, Amounts>, measure: Measure, counted: Map<SpanNode, Amounts>): void {
  const eff = new Map<SpanNode, number>();
  const below = new Map<SpanNode, number>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    const children = node.children.reduce((sum, c) => sum + (eff.get(c) ?? 0), 0);
    below.set(node, children);
    eff.set(node, Math.max(own.get(node)?.[measure] ?? 0, children));
  }
  const stack = [...tree.tops];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const mine = own.get(node)?.[measure] ?? 0;
    if (mine > (below.get(node) ?? 0)) counted.set(node, { ...counted.get(node), [measure]: mine });
    else for (const child of node.children) stack.push(child);
  }
}

const tokenUsage = (amounts: Amounts): TokenUsage => usageOf((key) => amounts[key] ?? 0);
