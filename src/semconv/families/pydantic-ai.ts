import type { Family } from '../fields.js';
import { contentAt, numberRule, textAt } from '../read.js';

const AGGREGATE = 'gen_ai.aggregated_usage';

/**
 * Pydantic AI (2.x, on OpenTelemetry directly or through Logfire): the run span's usage under
 * `gen_ai.aggregated_usage.*` (the sum of its model requests), the cost each request span
 * states in `operation.cost` (USD, from genai-prices), and the run's `final_result`.
 */
export const pydanticAi = {
  inputTokens: { aggregated: numberRule(`${AGGREGATE}.input_tokens`) },
  outputTokens: { aggregated: numberRule(`${AGGREGATE}.output_tokens`) },
  cacheReadTokens: { aggregated: numberRule(`${AGGREGATE}.cache_read.input_tokens`) },
  cacheWriteTokens: {
    aggregatedWrite: numberRule(`${AGGREGATE}.cache_write.input_tokens`),
    aggregatedCreation: numberRule(`${AGGREGATE}.cache_creation.input_tokens`),
  },
  reasoningTokens: { aggregated: numberRule(`${AGGREGATE}.details.reasoning_tokens`) },
  audioInputTokens: { aggregated: numberRule(`${AGGREGATE}.details.input_audio_tokens`) },
  audioOutputTokens: { aggregated: numberRule(`${AGGREGATE}.details.output_audio_tokens`) },
  audioCacheReadTokens: { aggregated: numberRule(`${AGGREGATE}.details.cache_audio_read_tokens`) },
  costUsd: { operation: numberRule('operation.cost') },
  output: {
    finalResult: (s) => (textAt(s.own, 'gen_ai.operation.name') === 'invoke_agent' ? contentAt(s.own, 'final_result') : undefined),
  },
} satisfies Family;
