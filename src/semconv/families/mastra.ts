import type { Family, Rule, SpanRole } from '../fields.js';
import { contentAt, textAt } from '../read.js';
import type { PlainValue } from '../../model/index.js';
import type { SpanNode } from '../tree.js';

const SPAN_TYPE = 'mastra.span.type';

/**
 * `mastra.span.type` → role, for both exporters: 1.x upper-case types (`MODEL_GENERATION`),
 * 0.x lower-case ones (`llm_generation`). A generation is one `chat` span over all the steps
 * of `generate()`; its steps carry no usage of their own (1.x) or repeat it (0.x).
 */
const SPAN_TYPE_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['agent_run', 'agent'],
  ['model_generation', 'llm'],
  ['llm_generation', 'llm'],
  ['model_step', 'chain'],
  ['llm_step', 'chain'],
  ['model_inference', 'chain'],
  ['model_chunk', 'other'],
  ['llm_chunk', 'other'],
  ['tool_call', 'tool'],
  ['mcp_tool_call', 'tool'],
  ['client_tool_call', 'tool'],
  ['workflow_run', 'workflow'],
  ['workflow_step', 'chain'],
]);

const spanType = (s: SpanNode): string | undefined => textAt(s.own, SPAN_TYPE)?.toLowerCase();

/** Rule: attribute `key`, read only on Mastra's spans (0.x uses plain names like `agent.id`, `input`). */
function onMastra<T>(read: (s: SpanNode) => T | undefined): Rule<T> {
  return (s) => (spanType(s) === undefined ? undefined : read(s));
}

const content = (key: string): Rule<PlainValue> => onMastra((s) => contentAt(s.own, key));
const text = (key: string): Rule<string> => onMastra((s) => textAt(s.own, key));

/** How Mastra 0.x names a workflow step span: `workflow step: '{stepId}'`. */
const ZERO_STEP_NAME = /^workflow step: '(.+)'$/;

/** The step id in a Mastra 0.x step span's name (1.x names it `workflow_step {stepId}`, which the generic rule reads). */
function zeroStepId(s: SpanNode): string | undefined {
  return spanType(s) === 'workflow_step' ? ZERO_STEP_NAME.exec(s.name)?.[1] : undefined;
}

/**
 * Mastra (`@mastra/otel-exporter` 1.x, GenAI names + `mastra.*`; and 0.x for `@mastra/core`
 * 0.21–0.24, its own names): span types, the 0.x `agent.id` / `workflow.id`, agent I/O in
 * `mastra.agent_run.input|output` (1.x) or `input` / `output` (0.x), and what 0.x flattens
 * from a span's metadata: the memory thread as `threadId` (1.x makes it
 * `gen_ai.conversation.id`).
 */
export const mastra = {
  role: { spanType: (s) => SPAN_TYPE_ROLES.get(spanType(s) ?? '') },
  agentId: { agentId: text('agent.id') },
  agentName: { agentId: text('agent.id') },
  workflowId: { workflowId: text('workflow.id') },
  workflowName: { workflowId: text('workflow.id') },
  stepId: { zeroStepName: zeroStepId },
  session: { threadId: text('threadId') },
  input: { agentRun: content('mastra.agent_run.input'), generic: content('input') },
  output: { agentRun: content('mastra.agent_run.output'), generic: content('output') },
} satisfies Family;
