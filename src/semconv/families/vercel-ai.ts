import type { Family, SpanRole } from '../fields.js';
import { dottedProviderRule } from '../provider.js';
import { contentRule, hasPrefix, numberRule, slugRule, textAt, textRule } from '../read.js';
import type { SpanNode } from '../tree.js';

/** The top-level calls: one per `generateText(...)`, holding every step below it. */
const CALLS: ReadonlySet<string> = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);

/** The operation a legacy AI SDK span records: `ai.operationId`, else its span name. */
function operationOf(s: SpanNode): string {
  return textAt(s.own, 'ai.operationId') ?? s.name;
}

/** Role by operation (CONVENTIONS.md §2 rule 6). */
function roleOf(s: SpanNode): SpanRole | undefined {
  const op = operationOf(s);
  if (!op.startsWith('ai.')) return undefined;
  if (CALLS.has(op)) return 'agent';
  if (op.endsWith('.doGenerate') || op.endsWith('.doStream')) return 'llm';
  if (op === 'ai.embed' || op === 'ai.embedMany') return 'embedding-aggregate';
  if (op.endsWith('.doEmbed')) return 'embedding';
  return op === 'ai.toolCall' ? 'tool' : undefined;
}

/**
 * Vercel AI SDK legacy telemetry (`experimental_telemetry`): `ai.*` spans named after the
 * operation, `ai.usage.*` counts (v4 prompt/completion, v5+ input/output), the function id
 * as the agent, and the prompt and response.
 */
export const vercelAi = {
  role: { operation: roleOf },
  marker: { attributes: (s) => (hasPrefix(s.own, 'ai.') ? true : undefined) },
  agentId: { functionId: slugRule('ai.telemetry.functionId') },
  agentName: { functionId: textRule('ai.telemetry.functionId') },
  provider: { modelProvider: dottedProviderRule('ai.model.provider') },
  model: { response: textRule('ai.response.model'), id: textRule('ai.model.id') },
  temperature: { settings: numberRule('ai.settings.temperature') },
  input: { prompt: contentRule('ai.prompt'), messages: contentRule('ai.prompt.messages') },
  output: {
    text: contentRule('ai.response.text'),
    object: contentRule('ai.response.object'),
    toolCalls: contentRule('ai.response.toolCalls'),
  },
  inputTokens: {
    input: numberRule('ai.usage.inputTokens'),
    prompt: numberRule('ai.usage.promptTokens'),
    embedding: numberRule('ai.usage.tokens'),
  },
  outputTokens: { output: numberRule('ai.usage.outputTokens'), completion: numberRule('ai.usage.completionTokens') },
  cacheReadTokens: { cached: numberRule('ai.usage.cachedInputTokens') },
  reasoningTokens: { reasoning: numberRule('ai.usage.reasoningTokens') },
} satisfies Family;
