import type { Family, SpanRole } from '../fields.js';
import { providerRule } from '../provider.js';
import { hasPrefix, numberRule, tableRule, textRule } from '../read.js';

/** `langsmith.span.kind` → role (CONVENTIONS.md §2 rule 4); unknown kinds fall through. */
const SPAN_KIND_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['llm', 'llm'],
  ['chain', 'chain'],
  ['tool', 'tool'],
  ['retriever', 'retriever'],
  ['embedding', 'embedding'],
  ['prompt', 'other'],
  ['parser', 'other'],
]);

/**
 * LangSmith (`langsmith.*`, its OpenTelemetry export of LangChain / LangGraph runs): the run
 * type, and the `ls_*` and `langgraph_node` metadata.
 */
export const langSmith = {
  role: { spanKind: tableRule('langsmith.span.kind', SPAN_KIND_ROLES) },
  marker: { attributes: (s) => (hasPrefix(s.own, 'langsmith.') ? true : undefined) },
  stepId: { langgraphNode: textRule('langsmith.metadata.langgraph_node') },
  provider: { lsProvider: providerRule('langsmith.metadata.ls_provider') },
  model: { lsModelName: textRule('langsmith.metadata.ls_model_name') },
  temperature: { lsTemperature: numberRule('langsmith.metadata.ls_temperature') },
  session: {
    threadId: textRule('langsmith.metadata.thread_id'),
    sessionId: textRule('langsmith.metadata.session_id'),
    conversationId: textRule('langsmith.metadata.conversation_id'),
  },
} satisfies Family;
