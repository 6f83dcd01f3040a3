import type { RunTruncation } from './truncation.js';

/** Lifecycle of a run (INTERFACE.md §2). */
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed';

/** The two kinds of run directory. */
export type RunKind = 'agent' | 'workflow';

/** Outcome of one workflow step. */
export type StepStatus = 'completed' | 'failed' | 'skipped' | 'running';

/** Where a cost figure came from. */
export type CostSource = 'reported' | 'estimated' | 'mixed' | 'none';

/**
 * Token counts of one run or span. Cached and reasoning tokens are parts of input and
 * output; so are audio tokens (`audioInput` of input, `audioOutput` of output), and
 * `audioCacheRead` is the audio part of `cacheRead`. Parts are never added on top.
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  audioInput: number;
  audioOutput: number;
  audioCacheRead: number;
}

/** Every count of {@link TokenUsage}, in its order. */
export const TOKEN_USAGE_KEYS = [
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'reasoning',
  'audioInput',
  'audioOutput',
  'audioCacheRead',
] as const satisfies readonly (keyof TokenUsage)[];

/** A usage with every count `f(key)`; `emptyUsage()` gives all zeros. */
export function usageOf(f: (key: keyof TokenUsage) => number): TokenUsage {
  const usage = {} as TokenUsage;
  for (const key of TOKEN_USAGE_KEYS) usage[key] = f(key);
  return usage;
}

/** A usage of no tokens. */
export const emptyUsage = (): TokenUsage => usageOf(() => 0);

/**
 * The tokens and reported cost one span contributed to its run once duplicates were
 * discarded (CONVENTIONS.md §8); a run's shares add up to its totals. The labels of
 * `paracle_tokens_total` and `paracle_cost_usd_total` come from here.
 */
export interface UsageShare {
  spanId: string;
  /** The agent the call ran under (nearest agent span, else the agent run's agent_id); null in a workflow outside any agent. */
  agentId: string | null;
  provider: string | null;
  model: string | null;
  usage: TokenUsage;
  costUsd: number;
  /** True when a reported cost covers these tokens: the span's own, or an enclosing span's. */
  costReported: boolean;
}

/**
 * The tokens of one (provider, model) in a run, with the cost they were given: what
 * metadata.yaml lists as `usage_by_model`, so a stored run can be repriced without its
 * spans. Tokens covered by a reported cost and tokens to estimate are kept apart.
 */
export interface ModelUsage {
  provider: string | null;
  model: string | null;
  usage: TokenUsage;
  /** Counted calls (usage shares) behind `usage`. */
  calls: number;
  /** Reported cost of these tokens; null when none was reported and the cost is estimated. */
  reportedCostUsd: number | null;
  /** Cost from the price book; null when reported, not priced yet, or the model is unknown. */
  estimatedCostUsd: number | null;
}

/** A file to place in a run's (or step's) `artifacts/` folder. */
export interface Artifact {
  /** The name as the agent gave it; the store sanitises it. */
  name: string;
  content: Uint8Array;
  mimeType: string | null;
  modified: boolean;
}

/** One line of `logs.txt` before formatting. */
export interface RunLogLine {
  timeUnixNano: string;
  severity: string;
  spanName: string;
  traceId: string;
  spanId: string;
  message: string;
  attributes: [string, string][];
}

/** One workflow step, mapped from its step span. */
export interface StepRecord {
  stepId: string;
  name: string;
  spanId: string;
  status: StepStatus;
  agentId: string | null;
  startedAtMs: number;
  durationSeconds: number | null;
  input: unknown;
  output: unknown;
  artifacts: Artifact[];
}

/** Fields shared by agent and workflow runs (the parts of metadata.yaml both have). */
export interface RunCommon {
  kind: RunKind;
  traceId: string;
  serviceName: string | null;
  startedAtMs: number;
  completedAtMs: number | null;
  status: RunStatus;
  incomplete: boolean;
  usage: TokenUsage;
  usageCountedSpans: string[];
  /** Who used the tokens and cost: one share per contributing span, earliest first. */
  usageShares: UsageShare[];
  /** Reported plus estimated cost (USD). */
  costUsd: number;
  costSource: CostSource;
  /** Tokens and cost per (provider, model), in order of first use. */
  usageByModel: ModelUsage[];
  /** The price book that estimated the cost; null when nothing was priced yet. */
  priceBookVersion: string | null;
  spanCount: number;
  errorCount: number;
  replayOf: string | null;
  /** The conversation, thread or session the run belongs to; null when no span names one. */
  sessionId: string | null;
  /** Why the run failed, one sentence (CONVENTIONS.md §9); null unless it failed. */
  error: string | null;
  input: unknown;
  output: unknown;
  artifacts: Artifact[];
  logs: RunLogLine[];
  /** Values the redaction stage replaced in the run's telemetry, per kind (never the values). */
  privacy: Record<string, number>;
  /** What ingest limits or a failed write left out (metadata `truncated`); null or absent when nothing. */
  truncated?: RunTruncation | null;
}

/** An agent run: `runs/agents/{run_id}`. */
export interface AgentRunRecord extends RunCommon {
  kind: 'agent';
  agentId: string;
  agentName: string | null;
  exitCode: number | null;
  provider: string | null;
  model: string | null;
  temperature: number | null;
  memoryMb: number | null;
  cpuSeconds: number | null;
  filesModified: number;
}

/** A workflow run: `runs/workflows/{run_id}` with `steps/`. */
export interface WorkflowRunRecord extends RunCommon {
  kind: 'workflow';
  workflowId: string;
  workflowName: string | null;
  steps: StepRecord[];
  agentsUsed: string[];
}

/** What the mapper makes of one trace. */
export type RunRecord = AgentRunRecord | WorkflowRunRecord;
