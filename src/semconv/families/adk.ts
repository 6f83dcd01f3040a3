import type { PlainValue } from '../../model/index.js';
import type { Family, Rule } from '../fields.js';
import { jsonObjectAt, slugRule, textAt, textRule } from '../read.js';
import type { SpanNode } from '../tree.js';

const REQUEST = 'gcp.vertex.agent.llm_request';
const RESPONSE = 'gcp.vertex.agent.llm_response';

/** Google ADK's own name in `gen_ai.system` on its legacy `call_llm` spans. */
const ADK_SYSTEM = 'gcp.vertex.agent';

/** ADK JS names its workflows here (Python uses `gen_ai.workflow.name`). */
const WORKFLOW_NAME = 'adk.workflow.name';

/**
 * ADK JS runs a workflow at the top of an invocation as `invocation` → `execute_node {wf}`
 * → `invoke_workflow {wf}`; the node path (`outer.inner` when nested) says which workflow is
 * the top one, and so the run: the `execute_node` around it is the runner's plumbing.
 */
function topWorkflow(s: SpanNode): true | undefined {
  if (textAt(s.own, 'gen_ai.operation.name') !== 'invoke_workflow') return undefined;
  const path = textAt(s.own, 'adk.node.path');
  return path !== undefined && !path.includes('.') ? true : undefined;
}

/**
 * A field of one of ADK's JSON attributes; ADK writes `{}` where it has nothing (tool spans
 * carry an empty `llm_request`, content capture off leaves `{}`), which counts as absent.
 */
function jsonField(key: string, field: string): Rule<PlainValue> {
  return (s) => {
    const value = jsonObjectAt(s.own, key)?.[field];
    return value === undefined || value === null ? undefined : (value as PlainValue);
  };
}

/** A JSON attribute as a whole, unless it is ADK's empty `{}`. */
function jsonWhole(key: string): Rule<PlainValue> {
  return (s) => {
    const value = jsonObjectAt(s.own, key);
    return value === undefined || Object.keys(value).length === 0 ? undefined : (value as PlainValue);
  };
}

/** A count in the Gemini `usageMetadata` of the span's `llm_response`. */
function usageCount(s: SpanNode, field: string): number | undefined {
  const usage = jsonObjectAt(s.own, RESPONSE)?.usageMetadata;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const n = (usage as Record<string, unknown>)[field];
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/**
 * ADK's legacy `call_llm` spans report `candidatesTokenCount` as output, without Gemini's
 * thinking tokens (FRAMEWORKS-2026 §2.3); the response's `thoughtsTokenCount` is added back
 * so that output includes reasoning as everywhere else.
 */
function outputWithThoughts(s: SpanNode): number | undefined {
  if (textAt(s.own, 'gen_ai.system') !== ADK_SYSTEM) return undefined;
  const thoughts = usageCount(s, 'thoughtsTokenCount');
  if (thoughts === undefined) return undefined;
  return (usageCount(s, 'candidatesTokenCount') ?? 0) + thoughts;
}

/**
 * Google ADK (`@google/adk`, `google-adk`; tracer `gcp.vertex.agent`): the prompt and answer
 * in `gcp.vertex.agent.llm_request` / `llm_response` (JSON), tool arguments and results,
 * Gemini's cache and thinking counts inside the response, the ADK session, and ADK JS
 * workflows (`adk.workflow.name`, `adk.node.path`).
 */
export const adk = {
  runRoot: { topWorkflow },
  workflowId: { name: slugRule(WORKFLOW_NAME) },
  workflowName: { name: textRule(WORKFLOW_NAME) },
  input: { llmRequest: jsonField(REQUEST, 'contents'), toolArgs: jsonWhole('gcp.vertex.agent.tool_call_args') },
  output: { llmResponse: jsonField(RESPONSE, 'content'), toolResponse: jsonWhole('gcp.vertex.agent.tool_response') },
  outputTokens: { withThoughts: outputWithThoughts },
  cacheReadTokens: { cachedContent: (s) => usageCount(s, 'cachedContentTokenCount') },
  reasoningTokens: { thoughts: (s) => usageCount(s, 'thoughtsTokenCount') },
  session: { adkSession: textRule('gcp.vertex.agent.session_id') },
} satisfies Family;
