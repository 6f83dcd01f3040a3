import type { Family, SpanRole } from '../fields.js';
import { slug } from '../../lib/index.js';
import { normaliseProvider, providerRule } from '../provider.js';
import {
  contentRule,
  flattenedListRule,
  jsonNumberRule,
  jsonTextRule,
  numberAt,
  numberRule,
  slugRule,
  tableRule,
  textAt,
  textRule,
} from '../read.js';
import { subtree } from '../tree.js';
import type { SpanNode } from '../tree.js';

/** `openinference.span.kind` → role (CONVENTIONS.md §2 rule 2); other kinds are `other`. */
const SPAN_KIND_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['LLM', 'llm'],
  ['EMBEDDING', 'embedding'],
  ['AGENT', 'agent'],
  ['CHAIN', 'chain'],
  ['TOOL', 'tool'],
  ['RETRIEVER', 'retriever'],
  ['RERANKER', 'retriever'],
]);

const SPAN_KIND = 'openinference.span.kind';

/** A CHAIN that runs two or more agents is a workflow (CONVENTIONS.md §3), e.g. a crew or a graph. */
function chainOfAgents(s: SpanNode): 'workflow' | undefined {
  if (textAt(s.own, SPAN_KIND) !== 'CHAIN') return undefined;
  const agents = subtree(s).filter((n) => n !== s && n.role === 'agent').length;
  return agents >= 2 ? 'workflow' : undefined;
}

/**
 * The OpenAI Agents SDK bridge names an agent span only by `graph.node.id` (no `agent.name`);
 * the root it adds for the whole trace has neither, so it defers to the agent below.
 */
function agentNode(s: SpanNode): string | undefined {
  if (textAt(s.own, SPAN_KIND) !== 'AGENT' || textAt(s.own, 'agent.name') !== undefined) return undefined;
  return textAt(s.own, 'graph.node.id');
}

/** `llm.cost.prompt + llm.cost.completion`, used only when `llm.cost.total` is absent. */
function costParts(s: SpanNode): number | undefined {
  const prompt = numberAt(s.attrs, 'llm.cost.prompt');
  const completion = numberAt(s.attrs, 'llm.cost.completion');
  return prompt === undefined && completion === undefined ? undefined : (prompt ?? 0) + (completion ?? 0);
}

/**
 * OpenInference (Arize Phoenix, `@arizeai/openinference-*`): the span kind, `llm.*` model,
 * provider, token counts and costs, `input.value` / `output.value`, messages flattened into
 * `llm.input_messages.{i}.message.*`, `agent.name` and LangGraph's `graph.node.id`.
 */
export const openInference = {
  role: { spanKind: tableRule(SPAN_KIND, SPAN_KIND_ROLES, 'other') },
  marker: { attributes: (s) => (textAt(s.own, SPAN_KIND) === undefined ? undefined : true) },
  kind: { chainOfAgents },
  agentId: {
    name: slugRule('agent.name'),
    graphNode: (s) => {
      const node = agentNode(s);
      return node === undefined ? undefined : slug(node) || undefined;
    },
  },
  agentName: { name: textRule('agent.name'), graphNode: agentNode },
  stepId: { graphNode: textRule('graph.node.id') },
  provider: {
    provider: providerRule('llm.provider'),
    system: providerRule('llm.system'),
    // LangChain's run metadata (`ls_provider` of the chat model class), kept as JSON.
    lsProvider: (s) => {
      const raw = jsonTextRule('metadata', 'ls_provider')(s);
      return raw === undefined ? undefined : normaliseProvider(raw);
    },
  },
  model: {
    response: textRule('llm.response.model_name'),
    name: textRule('llm.model_name'),
    request: textRule('llm.request.model_name'),
    embedding: textRule('embedding.model_name'),
    lsModelName: jsonTextRule('metadata', 'ls_model_name'),
  },
  temperature: { invocationParameters: jsonNumberRule('llm.invocation_parameters', 'temperature') },
  input: {
    value: contentRule('input.value'),
    messages: flattenedListRule('llm.input_messages', 'message.'),
  },
  output: {
    value: contentRule('output.value'),
    messages: flattenedListRule('llm.output_messages', 'message.'),
  },
  inputTokens: { prompt: numberRule('llm.token_count.prompt') },
  outputTokens: { completion: numberRule('llm.token_count.completion') },
  cacheReadTokens: { cacheRead: numberRule('llm.token_count.prompt_details.cache_read') },
  cacheWriteTokens: { cacheWrite: numberRule('llm.token_count.prompt_details.cache_write') },
  reasoningTokens: { reasoning: numberRule('llm.token_count.completion_details.reasoning') },
  audioInputTokens: { audio: numberRule('llm.token_count.prompt_details.audio') },
  audioOutputTokens: { audio: numberRule('llm.token_count.completion_details.audio') },
  totalTokens: { total: numberRule('llm.token_count.total') },
  costUsd: { total: numberRule('llm.cost.total'), parts: costParts },
} satisfies Family;
