import type { Family } from '../fields.js';
import { jsonObjectAt, textAt } from '../read.js';
import type { SpanNode } from '../tree.js';

/** LangGraph's own entry and exit nodes: plumbing, not steps of the user's graph. */
const INTERNAL_NODES: ReadonlySet<string> = new Set(['__start__', '__end__']);

/**
 * The LangGraph node a span runs in: OpenInference keeps LangChain's run metadata as JSON in
 * `metadata`, LangSmith flattens it into `langsmith.metadata.*`.
 */
export function langgraphNode(s: SpanNode): string | undefined {
  const fromMetadata = jsonObjectAt(s.own, 'metadata')?.langgraph_node;
  if (typeof fromMetadata === 'string' && fromMetadata !== '') return fromMetadata;
  return textAt(s.own, 'langsmith.metadata.langgraph_node');
}

/** A graph run: a span that is no node itself, with nodes right below it. */
function graphRun(s: SpanNode): 'workflow' | undefined {
  if (langgraphNode(s) !== undefined) return undefined;
  return s.children.some((c) => langgraphNode(c) !== undefined) ? 'workflow' : undefined;
}

/**
 * LangGraph through OpenInference or LangSmith: a graph run is a workflow whose steps are
 * its node runs, named after the node (`langgraph_node`); `__start__` / `__end__` are not
 * steps.
 */
export const langgraph = {
  kind: { graphRun },
  stepId: { node: langgraphNode },
  internalStep: { plumbing: (s) => (INTERNAL_NODES.has(langgraphNode(s) ?? '') ? true : undefined) },
} satisfies Family;
