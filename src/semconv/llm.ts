import { resolve, resolveFirst } from './precedence.js';
import { providerOfModel } from './provider.js';
import type { SpanNode, SpanTree } from './tree.js';

/** Provider, model and temperature of a run (CONVENTIONS.md §6). */
export interface ModelInfo {
  provider: string | null;
  model: string | null;
  temperature: number | null;
}

/** LLM-role spans with no LLM-role descendant (the actual calls), earliest first. */
export function leafLlmSpans(tree: SpanTree): SpanNode[] {
  const llmBelow = new Set<SpanNode>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    if (node.children.some((c) => c.role === 'llm' || llmBelow.has(c))) llmBelow.add(node);
  }
  return tree.byStart.filter((n) => n.role === 'llm' && !llmBelow.has(n));
}

/**
 * The run's provider and model come from the first leaf LLM span that has them (an agent
 * span's model is only a request, ignored once real calls are seen); with no leaf LLM span,
 * from the run root. When no span names a provider (or only a framework), the model's name
 * may (`gemini-*` → `gcp.gemini`). The run root's own temperature wins over the leaves'.
 */
export function modelInfo(root: SpanNode, leaves: readonly SpanNode[]): ModelInfo {
  const sources = leaves.length > 0 ? leaves : [root];
  const model = resolveFirst('model', sources) ?? null;
  return {
    provider: resolveFirst('provider', sources) ?? (model === null ? undefined : providerOfModel(model)) ?? null,
    model,
    temperature: resolve('temperature', root) ?? resolveFirst('temperature', leaves) ?? null,
  };
}
