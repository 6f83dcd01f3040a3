import { genAi } from './families/gen-ai.js';
import { generic } from './families/generic.js';
import { paracle } from './families/paracle.js';
import type { Field, FieldTypes, PrecedenceTable } from './fields.js';
import type { SpanNode } from './tree.js';

/**
 * THE precedence order of every field (CONVENTIONS.md §2–§9), key by key, across families:
 * the first rule that answers wins, so a later rule only speaks when every earlier one is
 * silent. Families not mapped yet (Langfuse, OpenInference, Traceloop, LangSmith, Vercel AI
 * SDK) slot in at the places CONVENTIONS.md gives them. Two orders live elsewhere because
 * they are not "first answer" orders: the role fallback (roles.ts: usage or model → llm) and
 * the identity candidates (identity.ts: run root, then first agent span, then `fallback*`).
 */
export const PRECEDENCE: PrecedenceTable = {
  role: [paracle.role.declared, genAi.role.operation],
  marker: [paracle.marker.attributes, genAi.marker.attributes],
  runRoot: [genAi.runRoot.notNested],
  kind: [paracle.kind.declared, genAi.kind.operation, paracle.kind.workflowId, genAi.kind.workflowName],
  workflowHint: [paracle.workflowHint.declared, genAi.workflowHint.declared],

  agentId: [paracle.agentId.id, genAi.agentId.id, genAi.agentId.name],
  agentName: [paracle.agentName.name, genAi.agentName.name],
  workflowId: [paracle.workflowId.id, genAi.workflowId.name],
  workflowName: [paracle.workflowName.name, genAi.workflowName.name],
  fallbackAgentId: [generic.fallbackAgentId.serviceName],
  fallbackAgentName: [generic.fallbackAgentName.spanName],
  fallbackWorkflowId: [generic.fallbackWorkflowId.spanName],
  fallbackWorkflowName: [generic.fallbackWorkflowName.spanName],

  explicitStep: [paracle.stepId.id],
  stepId: [paracle.stepId.id, generic.stepId.spanName],
  stepStatus: [paracle.stepStatus.declared],

  provider: [genAi.provider.name, genAi.provider.system],
  model: [genAi.model.response, genAi.model.request],
  temperature: [genAi.temperature.request],

  input: [
    paracle.input.declared,
    genAi.input.messages,
    genAi.input.toolArguments,
    genAi.input.prompt,
    genAi.input.flattenedPrompt,
    genAi.input.detailsEvent,
  ],
  output: [
    paracle.output.declared,
    genAi.output.messages,
    genAi.output.toolResult,
    genAi.output.completion,
    genAi.output.flattenedCompletion,
    genAi.output.detailsEvent,
  ],

  inputTokens: [genAi.inputTokens.input, genAi.inputTokens.prompt],
  outputTokens: [genAi.outputTokens.output, genAi.outputTokens.completion],
  cacheReadTokens: [genAi.cacheReadTokens.cacheRead, genAi.cacheReadTokens.cacheReadFlat],
  cacheWriteTokens: [
    genAi.cacheWriteTokens.cacheWrite,
    genAi.cacheWriteTokens.cacheCreation,
    genAi.cacheWriteTokens.cacheCreationFlat,
  ],
  reasoningTokens: [genAi.reasoningTokens.reasoning],
  costUsd: [paracle.costUsd.reported, genAi.costUsd.usage],
  responseId: [genAi.responseId.id],

  // Any one of these makes a span errored: order does not matter, the first true ends it.
  errored: [generic.errored.status, generic.errored.errorType, genAi.errored.finishReason],
  exitCode: [paracle.exitCode.declared, generic.exitCode.process],
  memoryMb: [paracle.memoryMb.declared],
  cpuSeconds: [paracle.cpuSeconds.declared],
  filesModified: [paracle.filesModified.declared],
  replayOf: [paracle.replayOf.declared],
  serviceName: [generic.serviceName.resource],
};

/** The value of `field` on `span`: the first rule in {@link PRECEDENCE} that answers. */
export function resolve<F extends Field>(field: F, span: SpanNode): FieldTypes[F] | undefined {
  for (const rule of PRECEDENCE[field]) {
    const value = rule(span);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The value of `field` on the first of `spans` (in the order given) where it is known. */
export function resolveFirst<F extends Field>(field: F, spans: Iterable<SpanNode>): FieldTypes[F] | undefined {
  for (const span of spans) {
    const value = resolve(field, span);
    if (value !== undefined) return value;
  }
  return undefined;
}
