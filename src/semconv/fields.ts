import type { PlainValue, RunKind } from '../model/index.js';
import type { SpanNode } from './tree.js';

/** What a span does in an agent run (CONVENTIONS.md §2). */
export type SpanRole =
  | 'llm'
  | 'embedding'
  | 'embedding-aggregate'
  | 'agent'
  | 'tool'
  | 'chain'
  | 'retriever'
  | 'workflow'
  | 'turn'
  | 'other';

/** A step outcome an instrumentation can state explicitly (`running` is never stated). */
export type StatedStepStatus = 'completed' | 'failed' | 'skipped';

/**
 * Every field the mapping reads from a span, with the type of its value. A rule for a field
 * yields a value of that type, or undefined to let the next rule in PRECEDENCE answer.
 * Flags (`marker`, `runRoot`, `workflowHint`, `errored`) yield `true` or nothing.
 */
export interface FieldTypes {
  /** The span's role; when no rule answers, roles.ts applies the usage/model fallback. */
  role: SpanRole;
  /** The span itself carries a recognised family's attributes (not inherited from the resource). */
  marker: true;
  /** The span declares itself the run root. */
  runRoot: true;
  /** Kind of the run, read on the run root. */
  kind: RunKind;
  /** The span belongs to a workflow: used to guess the kind while the root is missing. */
  workflowHint: true;
  agentId: string;
  agentName: string;
  workflowId: string;
  workflowName: string;
  /** Identity of last resort, read on the run root only after every other candidate. */
  fallbackAgentId: string;
  fallbackAgentName: string;
  fallbackWorkflowId: string;
  fallbackWorkflowName: string;
  /** An explicit step id: spans answering it are the workflow's steps. */
  explicitStep: string;
  /** A span in the step layer that is the framework's plumbing (LangGraph `__start__`), not a step. */
  internalStep: true;
  /** Raw (unslugged) step id of a step span. */
  stepId: string;
  stepStatus: StatedStepStatus;
  /** Provider, already normalised to the OTel well-known values. */
  provider: string;
  model: string;
  temperature: number;
  /** Raw input: text (JSON or not) or a structured value. */
  input: PlainValue;
  output: PlainValue;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Audio parts of input, output and cache reads (never added on top of them). */
  audioInputTokens: number;
  audioOutputTokens: number;
  audioCacheReadTokens: number;
  costUsd: number;
  /**
   * The span's input count leaves out its cached part (Anthropic-native and Bedrock counts,
   * Claude Code): the cache reads and writes are added to it.
   */
  cacheExcluded: true;
  /**
   * The total an emitter reports (`gen_ai.usage.total_tokens` ...). Never counted or priced:
   * it only tells whether the input count included the cached part.
   */
  totalTokens: number;
  /**
   * The span's usage is cumulative over the lifetime of the agent object, not this run's
   * (Strands `invoke_agent`): it counts only when nothing below it reports usage.
   */
  cumulativeUsage: true;
  /** The conversation, thread or session the run belongs to (metadata `session_id`). */
  session: string;
  /** Provider response id: two spans with the same one describe one call. */
  responseId: string;
  errored: true;
  exitCode: number;
  memoryMb: number;
  cpuSeconds: number;
  filesModified: number;
  replayOf: string;
  serviceName: string;
}

/** A field name of {@link FieldTypes}. */
export type Field = keyof FieldTypes;

/** The token fields, in the order of TokenUsage. */
export const TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'audioInputTokens',
  'audioOutputTokens',
  'audioCacheReadTokens',
] as const satisfies readonly Field[];

/** Reads one field from one span; undefined means "nothing to say, ask the next rule". */
export type Rule<T> = (span: SpanNode) => T | undefined;

/**
 * What one instrumentation family contributes: named rules grouped by field. A family may
 * give several rules for one field (e.g. response model and request model) because the
 * precedence order interleaves families key by key; PRECEDENCE places each rule.
 */
export type Family = { readonly [F in Field]?: Readonly<Record<string, Rule<FieldTypes[F]>>> };

/** For every field, its rules in precedence order, first answer wins. */
export type PrecedenceTable = { readonly [F in Field]: readonly Rule<FieldTypes[F]>[] };
