import { TOKEN_FIELDS } from './fields.js';
import type { SpanRole } from './fields.js';
import { resolve } from './precedence.js';
import { byStartTime } from './tree.js';
import type { SpanNode } from './tree.js';

/**
 * The role of a span (CONVENTIONS.md §2): the first family rule that answers, else rule 7:
 * a span reporting token usage or naming a model is an LLM call the instrumentation did not
 * label. Reads attributes only, so it can run while the tree is being built.
 */
export function spanRole(span: SpanNode): SpanRole {
  const role = resolve('role', span);
  if (role !== undefined) return role;
  const usage = TOKEN_FIELDS.some((field) => resolve(field, span) !== undefined);
  return usage || resolve('model', span) !== undefined ? 'llm' : 'other';
}

/** True for a span some GenAI family (or `paracle.*`) describes, as opposed to HTTP, DB ... spans. */
export function isGenAi(span: SpanNode): boolean {
  return span.role !== 'other' || resolve('marker', span) === true;
}

/**
 * The first GenAI spans below `span`: descending through non-GenAI spans, stopping at each
 * GenAI span found. Earliest first.
 */
export function genAiLayerBelow(span: SpanNode): SpanNode[] {
  const found: SpanNode[] = [];
  const stack = [...span.children].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (isGenAi(node)) found.push(node);
    else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as SpanNode);
  }
  return found.sort(byStartTime);
}

/** True for a span that names an agent: agent role, or an explicit agent id/name on it. */
export function isAgentSpan(span: SpanNode): boolean {
  return span.role === 'agent' || resolve('agentId', span) !== undefined;
}
