import { emptyUsage } from '../model/index.js';
import type { RunKind, RunRecord, RunCommon } from '../model/index.js';

/** The original run a replay starts from, as its metadata names it. */
export interface Original {
  runId: string;
  kind: RunKind;
  /** agent_id or workflow_id. */
  subjectId: string;
  /** agent_name or workflow_name. */
  name: string | null;
}

/**
 * Reads what a replay needs of a run's metadata; null when the run names no agent or
 * workflow id (nothing to look a command up by).
 */
export function originalOf(runId: string, metadata: Readonly<Record<string, unknown>>): Original | null {
  const kind: RunKind = metadata.kind === 'workflow' ? 'workflow' : 'agent';
  const subjectId = kind === 'agent' ? metadata.agent_id : metadata.workflow_id;
  const name = kind === 'agent' ? metadata.agent_name : metadata.workflow_name;
  if (typeof subjectId !== 'string' || subjectId === '') return null;
  return { runId, kind, subjectId, name: typeof name === 'string' ? name : null };
}

/**
 * The record of a replay's run before its first span (INTERFACE.md §2 `pending`): the
 * original's kind and identity, `replay_of` set, started at the request, nothing else known.
 */
export function pendingRecord(original: Original, traceId: string, requestedAtMs: number): RunRecord {
  const common: Omit<RunCommon, 'kind'> = {
    traceId,
    serviceName: null,
    startedAtMs: requestedAtMs,
    completedAtMs: null,
    status: 'pending',
    incomplete: false,
    usage: emptyUsage(),
    usageCountedSpans: [],
    usageShares: [],
    costUsd: 0,
    costSource: 'none',
    usageByModel: [],
    priceBookVersion: null,
    spanCount: 0,
    errorCount: 0,
    replayOf: original.runId,
    sessionId: null,
    privacy: {},
    error: null,
    input: null,
    output: null,
    artifacts: [],
    logs: [],
  };
  if (original.kind === 'workflow') {
    return { kind: 'workflow', ...common, workflowId: original.subjectId, workflowName: original.name, steps: [], agentsUsed: [] };
  }
  return {
    kind: 'agent',
    ...common,
    agentId: original.subjectId,
    agentName: original.name,
    exitCode: null,
    provider: null,
    model: null,
    temperature: null,
    memoryMb: null,
    cpuSeconds: null,
    filesModified: 0,
  };
}
