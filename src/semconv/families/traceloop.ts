import { slug } from '../../lib/index.js';
import type { Family, SpanRole } from '../fields.js';
import { contentRule, hasPrefix, slugRule, tableRule, textAt, textRule } from '../read.js';

/**
 * `traceloop.span.kind` → role (CONVENTIONS.md §2 rule 3). LLM spans carry no kind, and
 * other kinds say nothing about the span's role: both fall through to the next rule.
 */
const SPAN_KIND_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['workflow', 'workflow'],
  ['agent', 'agent'],
  ['task', 'chain'],
  ['tool', 'tool'],
]);

const SPAN_KIND = 'traceloop.span.kind';
const ENTITY_NAME = 'traceloop.entity.name';

/**
 * OpenLLMetry / Traceloop (`@traceloop/node-server-sdk`): workflow, task, agent and tool
 * spans with `traceloop.entity.*` names, input and output. Its LLM spans use `gen_ai.*`.
 */
export const traceloop = {
  role: { spanKind: tableRule(SPAN_KIND, SPAN_KIND_ROLES) },
  marker: { attributes: (s) => (hasPrefix(s.own, 'traceloop.') ? true : undefined) },
  kind: {
    spanKind: (s) => {
      const kind = textAt(s.attrs, SPAN_KIND);
      return kind === 'workflow' || kind === 'agent' ? kind : undefined;
    },
  },
  // The entity name names an agent only on the agent's own span: a task's is the task.
  agentId: {
    entityName: (s) => {
      const name = s.role === 'agent' ? textAt(s.attrs, ENTITY_NAME) : undefined;
      return name === undefined ? undefined : slug(name) || undefined;
    },
  },
  agentName: { entityName: textRule(ENTITY_NAME) },
  workflowId: { name: slugRule('traceloop.workflow.name') },
  workflowName: { name: textRule('traceloop.workflow.name') },
  stepId: { entityName: textRule(ENTITY_NAME) },
  input: { entity: contentRule('traceloop.entity.input') },
  output: { entity: contentRule('traceloop.entity.output') },
} satisfies Family;
