import { attributeMap } from '../../model/index.js';
import type { PlainValue } from '../../model/index.js';
import type { Family, Rule, SpanRole } from '../fields.js';
import { dottedProviderRule, providerRule } from '../provider.js';
import {
  booleanAt,
  contentAt,
  contentRule,
  flattenedListRule,
  hasPrefix,
  numberRule,
  slugRule,
  stableIdRule,
  textAt,
  textRule,
} from '../read.js';
import type { SpanNode } from '../tree.js';

/** `gen_ai.operation.name` → role (CONVENTIONS.md §2 rule 5); other operations are `other`. */
const OPERATION_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['chat', 'llm'],
  ['text_completion', 'llm'],
  ['generate_content', 'llm'],
  ['completion', 'llm'],
  ['generate', 'llm'],
  ['embeddings', 'embedding'],
  ['retrieval', 'retriever'],
  ['execute_tool', 'tool'],
  ['invoke_agent', 'agent'],
  ['invoke_workflow', 'workflow'],
  ['handle_conversation_turn', 'turn'],
  ['plan', 'chain'],
  ['agent_step', 'chain'],
  // Semantic Kernel's older operation names.
  ['chat.completions', 'llm'],
  ['chat.streaming_completions', 'llm'],
  ['text.completions', 'llm'],
  ['text.streaming_completions', 'llm'],
  // Structure below an agent or workflow: steps, nodes, loop cycles (Google ADK, Strands, Mastra).
  ['invoke_node', 'chain'],
  ['execute_node', 'chain'],
  ['execute_event_loop_cycle', 'chain'],
  ['model_step', 'chain'],
  ['workflow_step', 'chain'],
  // Strands multi-agent orchestrators: several agents under one run.
  ['invoke_swarm', 'workflow'],
  ['invoke_graph', 'workflow'],
  // Spring AI's ChatClient call wraps advisors, model calls and tools.
  ['framework', 'chain'],
  // Creating a (remote) agent is no call and no run of its own.
  ['create_agent', 'other'],
]);

/** The event that carries the messages when an instrumentation keeps them off the span. */
const DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

const operation = (s: SpanNode): string | undefined => textAt(s.attrs, 'gen_ai.operation.name');
const workflowName = textRule('gen_ai.workflow.name');

function detailsEventRule(key: string): Rule<PlainValue> {
  return (s) => {
    for (const event of s.span.events) {
      if (event.name !== DETAILS_EVENT) continue;
      const value = contentAt(attributeMap(event.attributes), key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

/**
 * `gen_ai.input.messages`, with `gen_ai.system_instructions` (v1.37+, kept apart by the
 * conventions) put first as a `system` message, since the model read them too. Both are
 * JSON text on the wire; a value that does not parse stays as it came.
 */
function inputMessages(s: SpanNode): PlainValue | undefined {
  const messages = contentAt(s.attrs, 'gen_ai.input.messages');
  if (messages === undefined) return undefined;
  const system = contentAt(s.attrs, 'gen_ai.system_instructions');
  const list = parsedList(messages);
  const parts = system === undefined ? undefined : parsedList(system);
  if (list === undefined || parts === undefined) return messages;
  return [{ role: 'system', parts }, ...list];
}

function parsedList(value: PlainValue): PlainValue[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string' || !value.trimStart().startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? (parsed as PlainValue[]) : undefined;
  } catch {
    return undefined;
  }
}

function finishedWithError(s: SpanNode): true | undefined {
  const reasons = s.attrs.get('gen_ai.response.finish_reasons');
  const list = Array.isArray(reasons) ? reasons : [reasons];
  return list.includes('error') ? true : undefined;
}

function kindFromOperation(s: SpanNode): 'agent' | 'workflow' | undefined {
  switch (operation(s)) {
    case 'invoke_workflow':
    case 'invoke_swarm':
    case 'invoke_graph':
      return 'workflow';
    case 'invoke_agent':
      return 'agent';
    case 'handle_conversation_turn':
      return workflowName(s) === undefined ? 'agent' : 'workflow';
    default:
      return undefined;
  }
}

/**
 * OpenTelemetry GenAI semantic conventions (`gen_ai.*`): the released v1.41 names, the
 * deprecated ones still emitted (`gen_ai.system`, `prompt_tokens`, `gen_ai.prompt` ...) and
 * the newer names of the semantic-conventions-genai repository (workflows, turns,
 * `is_nested`, cache-write and reasoning counts).
 */
export const genAi = {
  role: {
    operation: (s) => {
      const op = operation(s);
      return op === undefined ? undefined : (OPERATION_ROLES.get(op) ?? 'other');
    },
  },
  marker: { attributes: (s) => (hasPrefix(s.own, 'gen_ai.') ? true : undefined) },
  runRoot: { notNested: (s) => (booleanAt(s.attrs, 'gen_ai.invocation.is_nested') === false ? true : undefined) },
  kind: {
    operation: kindFromOperation,
    workflowName: (s) => (workflowName(s) === undefined ? undefined : 'workflow'),
  },
  workflowHint: {
    declared: (s) => (operation(s) === 'invoke_workflow' || workflowName(s) !== undefined ? true : undefined),
  },
  // A per-instance uuid (Microsoft Agent Framework, CrewAI, LlamaIndex task ids) names no agent.
  agentId: { id: stableIdRule('gen_ai.agent.id'), name: slugRule('gen_ai.agent.name') },
  agentName: { name: textRule('gen_ai.agent.name') },
  workflowId: { name: slugRule('gen_ai.workflow.name') },
  // An agent run as a workflow's step is named after its agent.
  stepId: { agentName: (s) => (s.role === 'agent' ? textAt(s.own, 'gen_ai.agent.name') : undefined) },
  workflowName: { name: workflowName },
  provider: { name: providerRule('gen_ai.provider.name'), system: dottedProviderRule('gen_ai.system') },
  model: { response: textRule('gen_ai.response.model'), request: textRule('gen_ai.request.model') },
  temperature: { request: numberRule('gen_ai.request.temperature') },
  input: {
    messages: inputMessages,
    toolArguments: contentRule('gen_ai.tool.call.arguments'),
    prompt: contentRule('gen_ai.prompt'),
    flattenedPrompt: flattenedListRule('gen_ai.prompt'),
    detailsEvent: detailsEventRule('gen_ai.input.messages'),
  },
  output: {
    messages: contentRule('gen_ai.output.messages'),
    toolResult: contentRule('gen_ai.tool.call.result'),
    completion: contentRule('gen_ai.completion'),
    flattenedCompletion: flattenedListRule('gen_ai.completion'),
    detailsEvent: detailsEventRule('gen_ai.output.messages'),
  },
  inputTokens: {
    input: numberRule('gen_ai.usage.input_tokens'),
    prompt: numberRule('gen_ai.usage.prompt_tokens'),
  },
  outputTokens: {
    output: numberRule('gen_ai.usage.output_tokens'),
    completion: numberRule('gen_ai.usage.completion_tokens'),
  },
  cacheReadTokens: {
    cacheRead: numberRule('gen_ai.usage.cache_read.input_tokens'),
    cacheReadFlat: numberRule('gen_ai.usage.cache_read_input_tokens'),
    cachedInput: numberRule('gen_ai.usage.cached_input_tokens'),
    details: numberRule('gen_ai.usage.details.cache_read_tokens'),
  },
  cacheWriteTokens: {
    cacheWrite: numberRule('gen_ai.usage.cache_write.input_tokens'),
    cacheCreation: numberRule('gen_ai.usage.cache_creation.input_tokens'),
    cacheWriteFlat: numberRule('gen_ai.usage.cache_write_input_tokens'),
    cacheCreationFlat: numberRule('gen_ai.usage.cache_creation_input_tokens'),
    details: numberRule('gen_ai.usage.details.cache_write_tokens'),
  },
  reasoningTokens: {
    reasoning: numberRule('gen_ai.usage.reasoning.output_tokens'),
    reasoningFlat: numberRule('gen_ai.usage.reasoning_tokens'),
    details: numberRule('gen_ai.usage.details.reasoning_tokens'),
  },
  // Audio is a modality subset of input and output (semantic-conventions-genai), spelled
  // flat by Mastra (`audio_input_tokens`) and as usage details by Pydantic AI.
  audioInputTokens: {
    modality: numberRule('gen_ai.usage.audio.input_tokens'),
    flat: numberRule('gen_ai.usage.audio_input_tokens'),
    details: numberRule('gen_ai.usage.details.input_audio_tokens'),
  },
  audioOutputTokens: {
    modality: numberRule('gen_ai.usage.audio.output_tokens'),
    flat: numberRule('gen_ai.usage.audio_output_tokens'),
    details: numberRule('gen_ai.usage.details.output_audio_tokens'),
  },
  audioCacheReadTokens: {
    modality: numberRule('gen_ai.usage.audio.cache_read.input_tokens'),
    details: numberRule('gen_ai.usage.details.cache_audio_read_tokens'),
  },
  totalTokens: { total: numberRule('gen_ai.usage.total_tokens') },
  session: { conversation: textRule('gen_ai.conversation.id') },
  costUsd: { usage: numberRule('gen_ai.usage.cost') },
  responseId: { id: textRule('gen_ai.response.id') },
  errored: { finishReason: finishedWithError },
} satisfies Family;
