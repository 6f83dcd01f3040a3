import { replayParentSpanId, type RunKind, type TracePhase } from '../model/index.js';
import { resolve } from './precedence.js';
import { genAiLayerBelow, isGenAi } from './roles.js';
import type { SpanNode, SpanTree } from './tree.js';

/** Where the run sits in its trace. */
export interface RunRoot {
  /** The span the run is read from (CONVENTIONS.md §3). */
  readonly node: SpanNode;
  /** False while (or because) the trace's root span has not arrived. */
  readonly traceRootPresent: boolean;
}

/**
 * Picks the run root (CONVENTIONS.md §3): a span declaring itself the run root; else the
 * top candidate (the trace root; the earliest parentless span while the root is missing;
 * the earliest span of an orphaned trace), or, when that candidate is not a GenAI span and
 * exactly one GenAI subtree lies below it, that subtree's top span.
 *
 * In a replay (INTERFACE.md §7) the trace root is the replayed agent's top span, whose
 * parent is the trace's replay parent ({@link replayParentSpanId}); the replay's outcome
 * span, which is that parent, is the run root only when the agent sent no span at all.
 */
export function findRunRoot(tree: SpanTree, phase: TracePhase): RunRoot {
  const replayParent = replayParentSpanId(tree.earliest.span.traceId);
  const traceRoot =
    tree.byStart.find((n) => n.span.parentSpanId === replayParent) ?? tree.byStart.find((n) => n.span.parentSpanId === '');
  const traceRootPresent = traceRoot !== undefined;
  const declared = tree.byStart.find((n) => resolve('runRoot', n) === true);
  if (declared !== undefined) return { node: declared, traceRootPresent };
  const top = phase === 'orphaned' ? tree.earliest : (traceRoot ?? tree.tops[0] ?? tree.earliest);
  if (isGenAi(top)) return { node: top, traceRootPresent };
  const layer = genAiLayerBelow(top);
  const only = layer.length === 1 ? layer[0] : undefined;
  return { node: only ?? top, traceRootPresent };
}

/**
 * The run's kind: the first kind rule that answers on the run root, else on `replayEnd` (a
 * replay's end span names the original's kind, so a replayed workflow whose command does not
 * say it is one stays one); while the trace root is missing, any span hinting at a workflow
 * (a step id, a workflow id) makes it one, since the root that would say so has not arrived;
 * otherwise agent.
 */
export function runKind(root: RunRoot, tree: SpanTree, replayEnd: SpanNode | null = null): RunKind {
  const kind = resolve('kind', root.node) ?? (replayEnd === null ? undefined : resolve('kind', replayEnd));
  if (kind !== undefined) return kind;
  if (!root.traceRootPresent && tree.byStart.some((n) => resolve('workflowHint', n) === true)) return 'workflow';
  return 'agent';
}

/** True when some span belongs to a GenAI family or to `paracle.*` (CONVENTIONS.md §3). */
export function isRecognised(tree: SpanTree): boolean {
  return tree.byStart.some(isGenAi);
}
