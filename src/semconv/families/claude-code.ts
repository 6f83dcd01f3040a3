import { attributeMap } from '../../model/index.js';
import type { Family, Rule, SpanRole } from '../fields.js';
import { logEventName, numberAt, textAt } from '../read.js';
import type { SpanNode } from '../tree.js';

/** Claude Code's span names (beta traces) → role. */
const SPAN_ROLES: ReadonlyMap<string, SpanRole> = new Map([
  ['claude_code.interaction', 'agent'],
  ['claude_code.llm_request', 'llm'],
  ['claude_code.tool', 'tool'],
  ['claude_code.tool.execution', 'other'],
  ['claude_code.tool.blocked_on_user', 'other'],
  ['claude_code.hook', 'other'],
]);

const PREFIX = 'claude_code.';

const isClaudeCode = (s: SpanNode): boolean => s.name.startsWith(PREFIX);

/** Rule: a flat count (`input_tokens` ...) that Claude Code puts on its own spans only. */
function flatCount(key: string): Rule<number> {
  return (s) => (isClaudeCode(s) ? numberAt(s.own, key) : undefined);
}


/**
 * The cost Claude Code reports in `cost_usd` of its `claude_code.api_request` log events:
 * the only place it states a cost. The records count on the span they name, or on the
 * trace's top span when they name none of its spans.
 */
function apiRequestCost(s: SpanNode): number | undefined {
  let total: number | undefined;
  for (const log of s.logs) {
    if (logEventName(log) !== 'claude_code.api_request') continue;
    const cost = numberAt(attributeMap(log.attributes), 'cost_usd');
    if (cost !== undefined) total = (total ?? 0) + cost;
  }
  return total;
}

/** The prompt of a `claude_code.user_prompt` event (present with `OTEL_LOG_USER_PROMPTS=1`). */
function loggedPrompt(s: SpanNode): string | undefined {
  for (const log of s.logs) {
    if (logEventName(log) !== 'claude_code.user_prompt') continue;
    const prompt = textAt(attributeMap(log.attributes), 'prompt');
    if (prompt !== undefined) return prompt;
  }
  return undefined;
}

/**
 * Claude Code and the Claude Agent SDK (native OTLP; traces with
 * `CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1`): `claude_code.interaction` → `claude_code.llm_request`
 * and `claude_code.tool` spans with flat Anthropic-native token counts (input without the
 * cached part), and the cost in `claude_code.api_request` log events.
 */
export const claudeCode = {
  role: { spanName: (s) => SPAN_ROLES.get(s.name) },
  marker: { spanName: (s) => (isClaudeCode(s) ? true : undefined) },
  inputTokens: { flat: flatCount('input_tokens') },
  outputTokens: { flat: flatCount('output_tokens') },
  cacheReadTokens: { flat: flatCount('cache_read_tokens') },
  cacheWriteTokens: { flat: flatCount('cache_creation_tokens') },
  cacheExcluded: { flat: (s) => (isClaudeCode(s) && numberAt(s.own, 'input_tokens') !== undefined ? true : undefined) },
  costUsd: { apiRequestLogs: apiRequestCost },
  model: { flat: (s) => (isClaudeCode(s) ? textAt(s.own, 'model') : undefined) },
  input: {
    userPrompt: (s) => (s.name === 'claude_code.interaction' ? textAt(s.own, 'user_prompt') : undefined),
    loggedPrompt: (s) => (s.name === 'claude_code.interaction' || s.parent === null ? loggedPrompt(s) : undefined),
  },
} satisfies Family;
