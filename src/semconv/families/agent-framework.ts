import { slug } from '../../lib/index.js';
import type { Family, SpanRole } from '../fields.js';
import { isInstanceId, textAt } from '../read.js';
import type { SpanNode } from '../tree.js';

/**
 * Microsoft Agent Framework workflow spans → role. They carry no `gen_ai.operation.name`;
 * their `workflow.*` / `executor.*` attributes tell them from other spans of these names.
 */
const SPAN_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['workflow.run', 'workflow'],
  ['executor.process', 'chain'],
]);

const isWorkflowSpan = (s: SpanNode): boolean =>
  textAt(s.own, 'workflow.id') !== undefined || textAt(s.own, 'workflow.name') !== undefined || textAt(s.own, 'executor.id') !== undefined;

/** `workflow.name`, else a `workflow.id` that is not a per-instance uuid. */
function workflowLabel(s: SpanNode): string | undefined {
  if (!isWorkflowSpan(s)) return undefined;
  const id = textAt(s.own, 'workflow.id');
  return textAt(s.own, 'workflow.name') ?? (id === undefined || isInstanceId(id) ? undefined : id);
}

/**
 * Microsoft Agent Framework (`agent-framework-core`) workflows: `workflow.run` →
 * `executor.process` spans with `workflow.{id,name}` and `executor.{id,type}`. Its agents
 * use the GenAI names (`invoke_agent`, `chat`, `execute_tool`).
 */
export const agentFramework = {
  role: { spanName: (s) => (isWorkflowSpan(s) ? SPAN_ROLES.get(s.name) : undefined) },
  workflowId: {
    label: (s) => {
      const label = workflowLabel(s);
      return label === undefined ? undefined : slug(label) || undefined;
    },
  },
  workflowName: { label: workflowLabel },
  stepId: { executor: (s) => (s.name === 'executor.process' ? textAt(s.own, 'executor.id') : undefined) },
} satisfies Family;
