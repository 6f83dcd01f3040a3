import { adk } from './families/adk.js';
import { agentFramework } from './families/agent-framework.js';
import { claudeCode } from './families/claude-code.js';
import { genAi } from './families/gen-ai.js';
import { generic } from './families/generic.js';
import { langfuse } from './families/langfuse.js';
import { langgraph } from './families/langgraph.js';
import { langSmith } from './families/langsmith.js';
import { mastra } from './families/mastra.js';
import { messageEvents } from './families/message-events.js';
import { openInference } from './families/openinference.js';
import { paracle } from './families/paracle.js';
import { pydanticAi } from './families/pydantic-ai.js';
import { springAi } from './families/spring-ai.js';
import { strands } from './families/strands.js';
import { traceloop } from './families/traceloop.js';
import { vercelAi } from './families/vercel-ai.js';
import type { Field, FieldTypes, PrecedenceTable } from './fields.js';
import type { SpanNode } from './tree.js';

/**
 * THE precedence order of every field (CONVENTIONS.md §2–§9), key by key, across families:
 * the first rule that answers wins, so a later rule only speaks when every earlier one is
 * silent. Two orders live elsewhere because they are not "first answer" orders: the role
 * fallback (roles.ts: usage or model → llm) and the identity candidates (identity.ts: run
 * root, then first agent span, then `fallback*`).
 */
export const PRECEDENCE: PrecedenceTable = {
  // Traceloop's kind beats gen_ai.operation.name on purpose: it rewrites Vercel roots to carry both.
  role: [
    paracle.role.declared,
    langfuse.role.observationType,
    openInference.role.spanKind,
    traceloop.role.spanKind,
    langSmith.role.spanKind,
    // Framework-specific names ahead of gen_ai.operation.name, which calls unknown operations `other`.
    mastra.role.spanType,
    strands.role.loopCycle,
    genAi.role.operation,
    vercelAi.role.operation,
    claudeCode.role.spanName,
    agentFramework.role.spanName,
  ],
  marker: [
    paracle.marker.attributes,
    langfuse.marker.attributes,
    openInference.marker.attributes,
    traceloop.marker.attributes,
    langSmith.marker.attributes,
    genAi.marker.attributes,
    vercelAi.marker.attributes,
    claudeCode.marker.spanName,
  ],
  runRoot: [genAi.runRoot.notNested, adk.runRoot.topWorkflow],
  kind: [
    paracle.kind.declared,
    genAi.kind.operation,
    traceloop.kind.spanKind,
    paracle.kind.workflowId,
    genAi.kind.workflowName,
    langgraph.kind.graphRun,
    openInference.kind.chainOfAgents,
    generic.kind.workflowRole,
  ],
  workflowHint: [paracle.workflowHint.declared, genAi.workflowHint.declared],

  agentId: [
    paracle.agentId.id,
    strands.agentId.name,
    genAi.agentId.id,
    genAi.agentId.name,
    traceloop.agentId.entityName,
    openInference.agentId.name,
    openInference.agentId.graphNode,
    mastra.agentId.agentId,
    vercelAi.agentId.functionId,
  ],
  agentName: [
    paracle.agentName.name,
    genAi.agentName.name,
    traceloop.agentName.entityName,
    openInference.agentName.name,
    openInference.agentName.graphNode,
    mastra.agentName.agentId,
    vercelAi.agentName.functionId,
  ],
  workflowId: [
    paracle.workflowId.id,
    genAi.workflowId.name,
    traceloop.workflowId.name,
    agentFramework.workflowId.label,
    adk.workflowId.name,
    mastra.workflowId.workflowId,
  ],
  workflowName: [
    paracle.workflowName.name,
    genAi.workflowName.name,
    traceloop.workflowName.name,
    agentFramework.workflowName.label,
    adk.workflowName.name,
    mastra.workflowName.workflowId,
  ],
  fallbackAgentId: [generic.fallbackAgentId.serviceName],
  fallbackAgentName: [generic.fallbackAgentName.spanName],
  fallbackWorkflowId: [generic.fallbackWorkflowId.spanName],
  fallbackWorkflowName: [generic.fallbackWorkflowName.spanName],

  explicitStep: [paracle.stepId.id],
  internalStep: [langgraph.internalStep.plumbing],
  stepId: [
    paracle.stepId.id,
    langgraph.stepId.node,
    openInference.stepId.graphNode,
    traceloop.stepId.entityName,
    agentFramework.stepId.executor,
    genAi.stepId.agentName,
    mastra.stepId.zeroStepName,
    generic.stepId.spanName,
  ],
  stepStatus: [paracle.stepStatus.declared],

  provider: [
    genAi.provider.name,
    genAi.provider.system,
    openInference.provider.provider,
    openInference.provider.system,
    vercelAi.provider.modelProvider,
    langSmith.provider.lsProvider,
    openInference.provider.lsProvider,
  ],
  model: [
    genAi.model.response,
    openInference.model.response,
    openInference.model.name,
    vercelAi.model.response,
    genAi.model.request,
    openInference.model.request,
    vercelAi.model.id,
    langSmith.model.lsModelName,
    openInference.model.lsModelName,
    claudeCode.model.flat,
    openInference.model.embedding,
  ],
  temperature: [
    genAi.temperature.request,
    openInference.temperature.invocationParameters,
    langSmith.temperature.lsTemperature,
    vercelAi.temperature.settings,
  ],

  input: [
    paracle.input.declared,
    langfuse.input.observation,
    genAi.input.messages,
    openInference.input.value,
    traceloop.input.entity,
    genAi.input.toolArguments,
    vercelAi.input.prompt,
    vercelAi.input.messages,
    genAi.input.prompt,
    genAi.input.flattenedPrompt,
    openInference.input.messages,
    genAi.input.detailsEvent,
    messageEvents.input.detailsLog,
    adk.input.llmRequest,
    adk.input.toolArgs,
    mastra.input.agentRun,
    mastra.input.generic,
    claudeCode.input.userPrompt,
    claudeCode.input.loggedPrompt,
    messageEvents.input.legacy,
  ],
  output: [
    paracle.output.declared,
    langfuse.output.observation,
    genAi.output.messages,
    openInference.output.value,
    traceloop.output.entity,
    genAi.output.toolResult,
    vercelAi.output.text,
    vercelAi.output.object,
    vercelAi.output.toolCalls,
    genAi.output.completion,
    genAi.output.flattenedCompletion,
    openInference.output.messages,
    genAi.output.detailsEvent,
    messageEvents.output.detailsLog,
    adk.output.llmResponse,
    adk.output.toolResponse,
    mastra.output.agentRun,
    mastra.output.generic,
    pydanticAi.output.finalResult,
    messageEvents.output.legacy,
  ],

  inputTokens: [
    genAi.inputTokens.input,
    genAi.inputTokens.prompt,
    pydanticAi.inputTokens.aggregated,
    openInference.inputTokens.prompt,
    vercelAi.inputTokens.input,
    vercelAi.inputTokens.prompt,
    langfuse.inputTokens.usageDetails,
    claudeCode.inputTokens.flat,
    vercelAi.inputTokens.embedding,
  ],
  outputTokens: [
    adk.outputTokens.withThoughts,
    genAi.outputTokens.output,
    genAi.outputTokens.completion,
    pydanticAi.outputTokens.aggregated,
    openInference.outputTokens.completion,
    vercelAi.outputTokens.output,
    vercelAi.outputTokens.completion,
    langfuse.outputTokens.usageDetails,
    claudeCode.outputTokens.flat,
  ],
  cacheReadTokens: [
    genAi.cacheReadTokens.cacheRead,
    genAi.cacheReadTokens.cacheReadFlat,
    genAi.cacheReadTokens.cachedInput,
    genAi.cacheReadTokens.details,
    pydanticAi.cacheReadTokens.aggregated,
    openInference.cacheReadTokens.cacheRead,
    vercelAi.cacheReadTokens.cached,
    claudeCode.cacheReadTokens.flat,
    adk.cacheReadTokens.cachedContent,
  ],
  cacheWriteTokens: [
    genAi.cacheWriteTokens.cacheWrite,
    genAi.cacheWriteTokens.cacheCreation,
    genAi.cacheWriteTokens.cacheWriteFlat,
    genAi.cacheWriteTokens.cacheCreationFlat,
    genAi.cacheWriteTokens.details,
    pydanticAi.cacheWriteTokens.aggregatedWrite,
    pydanticAi.cacheWriteTokens.aggregatedCreation,
    openInference.cacheWriteTokens.cacheWrite,
    claudeCode.cacheWriteTokens.flat,
  ],
  reasoningTokens: [
    genAi.reasoningTokens.reasoning,
    genAi.reasoningTokens.reasoningFlat,
    genAi.reasoningTokens.details,
    pydanticAi.reasoningTokens.aggregated,
    openInference.reasoningTokens.reasoning,
    vercelAi.reasoningTokens.reasoning,
    adk.reasoningTokens.thoughts,
  ],
  audioInputTokens: [genAi.audioInputTokens.modality, genAi.audioInputTokens.flat, genAi.audioInputTokens.details, pydanticAi.audioInputTokens.aggregated, openInference.audioInputTokens.audio],
  audioOutputTokens: [genAi.audioOutputTokens.modality, genAi.audioOutputTokens.flat, genAi.audioOutputTokens.details, pydanticAi.audioOutputTokens.aggregated, openInference.audioOutputTokens.audio],
  audioCacheReadTokens: [genAi.audioCacheReadTokens.modality, genAi.audioCacheReadTokens.details, pydanticAi.audioCacheReadTokens.aggregated],
  totalTokens: [genAi.totalTokens.total, openInference.totalTokens.total],
  cacheExcluded: [claudeCode.cacheExcluded.flat],
  cumulativeUsage: [strands.cumulativeUsage.agentSpan],
  costUsd: [
    paracle.costUsd.reported,
    langfuse.costUsd.costDetails,
    genAi.costUsd.usage,
    pydanticAi.costUsd.operation,
    openInference.costUsd.total,
    openInference.costUsd.parts,
    claudeCode.costUsd.apiRequestLogs,
  ],
  session: [
    genAi.session.conversation,
    generic.session.sessionId,
    langfuse.session.sessionId,
    langSmith.session.threadId,
    langSmith.session.sessionId,
    langSmith.session.conversationId,
    adk.session.adkSession,
    springAi.session.conversation,
    mastra.session.threadId,
    generic.session.threadId,
  ],
  responseId: [genAi.responseId.id],

  // Any one of these makes a span errored: order does not matter, the first true ends it.
  errored: [generic.errored.status, generic.errored.errorType, langfuse.errored.level, genAi.errored.finishReason],
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
