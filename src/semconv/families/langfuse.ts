import type { Family, SpanRole } from '../fields.js';
import { contentRule, hasPrefix, jsonNumberRule, tableRule, textAt, textRule } from '../read.js';

/** `langfuse.observation.type` → role (CONVENTIONS.md §2 rule 1); other types are `other`. */
const OBSERVATION_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['generation', 'llm'],
  ['embedding', 'embedding'],
  ['agent', 'agent'],
  ['tool', 'tool'],
  ['chain', 'chain'],
  ['retriever', 'retriever'],
]);

const USAGE = 'langfuse.observation.usage_details';

/**
 * Langfuse (`langfuse.*`, JS SDK v4 on OpenTelemetry): the observation type, its input and
 * output, usage and cost details as JSON objects, and its level.
 */
export const langfuse = {
  role: { observationType: tableRule('langfuse.observation.type', OBSERVATION_ROLES, 'other') },
  marker: { attributes: (s) => (hasPrefix(s.own, 'langfuse.observation.') ? true : undefined) },
  input: { observation: contentRule('langfuse.observation.input') },
  output: { observation: contentRule('langfuse.observation.output') },
  inputTokens: { usageDetails: jsonNumberRule(USAGE, 'input') },
  outputTokens: { usageDetails: jsonNumberRule(USAGE, 'output') },
  costUsd: { costDetails: jsonNumberRule('langfuse.observation.cost_details', 'total') },
  session: { sessionId: textRule('langfuse.session.id') },
  errored: { level: (s) => (textAt(s.attrs, 'langfuse.observation.level') === 'ERROR' ? true : undefined) },
} satisfies Family;
