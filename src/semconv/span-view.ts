import type { Span, TokenUsage } from '../model/index.js';
import { traceErrors } from './errors.js';
import type { SpanRole } from './fields.js';
import { resolve } from './precedence.js';
import { textAt } from './read.js';
import { spanRole } from './roles.js';
import { buildTree } from './tree.js';
import type { SpanNode } from './tree.js';
import { countUsage } from './usage.js';

/** What the rules of CONVENTIONS.md make of one span, for a trace viewer. */
export interface SpanView {
  span: Span;
  /** Null for a span whose parent is not in the trace (a root, or the top of a fragment). */
  parentSpanId: string | null;
  /** Distance from the top of its tree. */
  depth: number;
  startMs: number;
  endMs: number;
  role: SpanRole;
  /** Errored by any rule of CONVENTIONS.md §9. */
  errored: boolean;
  /** Errored with no errored descendant: where a failure started. */
  errorOrigin: boolean;
  /** Why it failed, when it did and says so (status message, exception, `error.type`). */
  error: string | null;
  /** Set for LLM calls and any span reporting usage or a model. */
  llm: SpanLlm | null;
}

/** The model call a span describes. */
export interface SpanLlm {
  provider: string | null;
  model: string | null;
  /** What the span itself states (cached and reasoning tokens are parts of input and output). */
  usage: TokenUsage;
  /** The cost the span reports, null when none (a price book may estimate it). */
  reportedCostUsd: number | null;
  /** True when this span's tokens count in the run's totals (duplicates and aggregates do not). */
  counted: boolean;
}

/**
 * Every span of a trace in tree order (parents before children, siblings by start time),
 * each with its role, errors and model call as the run's mapping sees them. Pure; an empty
 * list for no spans.
 */
export function describeSpans(spans: readonly Span[]): SpanView[] {
  const tree = buildTree(spans, spanRole);
  if (tree === null) return [];
  const errors = traceErrors(tree);
  const origins = new Set(errors.origins);
  const counted = new Set(countUsage(tree).shares.map((share) => share.node));
  return tree.preorder.map((node) => {
    const errored = errors.errored.has(node);
    return {
      span: node.span,
      parentSpanId: node.parent === null ? null : node.parent.id,
      depth: node.depth,
      startMs: node.startMs,
      endMs: node.endMs,
      role: node.role,
      errored,
      errorOrigin: origins.has(node),
      error: errored ? errorOf(node) : null,
      llm: llmOf(node, counted.has(node)),
    };
  });
}

function llmOf(node: SpanNode, counted: boolean): SpanLlm | null {
  const usage: TokenUsage = {
    input: resolve('inputTokens', node) ?? 0,
    output: resolve('outputTokens', node) ?? 0,
    cacheRead: resolve('cacheReadTokens', node) ?? 0,
    cacheWrite: resolve('cacheWriteTokens', node) ?? 0,
    reasoning: resolve('reasoningTokens', node) ?? 0,
    audioInput: resolve('audioInputTokens', node) ?? 0,
    audioOutput: resolve('audioOutputTokens', node) ?? 0,
    audioCacheRead: resolve('audioCacheReadTokens', node) ?? 0,
  };
  const model = resolve('model', node) ?? null;
  const hasUsage = Object.values(usage).some((n) => n > 0);
  if (node.role !== 'llm' && !hasUsage && model === null) return null;
  return {
    provider: resolve('provider', node) ?? null,
    model,
    usage,
    reportedCostUsd: resolve('costUsd', node) ?? null,
    counted,
  };
}

/** The status message, else the last exception's message, else `error.type`. */
function errorOf(node: SpanNode): string | null {
  const { span } = node;
  if (span.status.message !== '') return span.status.message;
  for (let i = span.events.length - 1; i >= 0; i--) {
    const event = span.events[i]!;
    if (event.name !== 'exception') continue;
    const message = event.attributes.find((kv) => kv.key === 'exception.message');
    if (message && 'stringValue' in message.value) return message.value.stringValue;
  }
  return textAt(node.own, 'error.type') ?? null;
}
