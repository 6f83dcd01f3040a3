import { slug } from '../lib/index.js';
import { resolve, resolveFirst } from './precedence.js';
import { isAgentSpan } from './roles.js';
import type { RunRoot } from './root.js';
import type { SpanNode, SpanTree } from './tree.js';

/** The id given when no rule can name the agent or workflow (a trace without service.name). */
export const UNKNOWN_ID = 'unknown';

/** Identity of an agent run. */
export interface AgentIdentity {
  agentId: string;
  agentName: string | null;
}

/** Identity of a workflow run. */
export interface WorkflowIdentity {
  workflowId: string;
  workflowName: string | null;
}

/**
 * Agent identity (CONVENTIONS.md §4), read from the run root, then from the first other
 * agent-role span (Traceloop copies names onto descendants, so no span deeper is trusted),
 * then the last-resort rules on the run root (service.name, span name).
 */
export function agentIdentity(root: RunRoot, tree: SpanTree): AgentIdentity {
  const firstAgent = tree.byStart.find((n) => n !== root.node && n.role === 'agent');
  const candidates = firstAgent === undefined ? [root.node] : [root.node, firstAgent];
  return {
    agentId: resolveFirst('agentId', candidates) ?? resolve('fallbackAgentId', root.node) ?? UNKNOWN_ID,
    agentName: resolveFirst('agentName', candidates) ?? resolve('fallbackAgentName', root.node) ?? null,
  };
}

/**
 * Workflow identity (CONVENTIONS.md §4), read from the run root; while the trace root is
 * missing, also from the first span carrying a workflow id, so that a running workflow is
 * not named after whichever step arrived first.
 */
export function workflowIdentity(root: RunRoot, tree: SpanTree): WorkflowIdentity {
  const carrier = root.traceRootPresent
    ? undefined
    : tree.byStart.find((n) => resolve('workflowId', n) !== undefined);
  const candidates = carrier === undefined ? [root.node] : [root.node, carrier];
  return {
    workflowId: resolveFirst('workflowId', candidates) ?? resolve('fallbackWorkflowId', root.node) ?? UNKNOWN_ID,
    workflowName: resolveFirst('workflowName', candidates) ?? resolve('fallbackWorkflowName', root.node) ?? null,
  };
}

/** The agent id a span names: its agent-id rules, else (for agent-role spans) its span name. */
export function agentIdOf(span: SpanNode): string | undefined {
  return resolve('agentId', span) ?? (span.role === 'agent' ? slug(span.name) || undefined : undefined);
}

/**
 * `agents_used` (CONVENTIONS.md §4): distinct agent ids of agent spans other than the
 * workflow's own span, in order of first start.
 */
export function agentsUsed(tree: SpanTree, workflowSpan: SpanNode | null): string[] {
  const ids = new Set<string>();
  for (const span of tree.byStart) {
    if (span === workflowSpan || !isAgentSpan(span)) continue;
    const id = agentIdOf(span);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}
