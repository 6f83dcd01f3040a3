import { replayParentSpanId } from '../model/index.js';
import type { SpanNode, SpanTree } from './tree.js';

/**
 * The span the daemon sends when a replayed command ends (INTERFACE.md §7): the span whose
 * id is its trace's replay parent, the parent of the agent's top spans. It carries the
 * exit code the daemon observed, the reason of a failure (non-zero exit, timeout) as its
 * error status, `paracle.replay_of`, and the original's identity for a command that sent
 * nothing. Null in any other trace, and in a replay whose command has not ended yet.
 */
export function replayEndSpan(tree: SpanTree): SpanNode | null {
  const id = replayParentSpanId(tree.earliest.span.traceId);
  return tree.byStart.find((n) => n.id === id) ?? null;
}
