import type {
  AgentRunRecord,
  Artifact,
  AssembledTrace,
  RunCommon,
  RunRecord,
  UsageShare,
  WorkflowRunRecord,
} from '../model/index.js';
import { placeArtifacts } from './artifacts.js';
import { redactionCounts } from './privacy.js';
import { runInput, runOutput } from './content.js';
import { runError, runOutcome, traceErrors } from './errors.js';
import type { RunOutcome, TraceErrors } from './errors.js';
import { agentIdentity, agentIdOf, agentsUsed, workflowIdentity } from './identity.js';
import { leafLlmSpans, modelInfo } from './llm.js';
import type { ModelInfo } from './llm.js';
import { runLogs } from './logs.js';
import { resolve } from './precedence.js';
import { providerOfModel } from './provider.js';
import { replayEndSpan } from './replay.js';
import { isAgentSpan, spanRole } from './roles.js';
import { findRunRoot, isRecognised, runKind } from './root.js';
import { runSession } from './session.js';
import type { RunRoot } from './root.js';
import { stepRecords, stepSpans } from './steps.js';
import { buildTree, nearestIn, subtree } from './tree.js';
import type { SpanNode, SpanTree } from './tree.js';
import { countUsage } from './usage.js';
import type { UsageCount } from './usage.js';
import { usageByModel } from './usage-by-model.js';

/** How to treat a trace with no GenAI or `paracle.*` span (config `ingest.unrecognized`). */
export interface MapTraceOptions {
  /** `agent`: map it to an agent run named after `service.name`; `drop`: no run. */
  unrecognized: 'agent' | 'drop';
  /** JSON text nested deeper than this stays text in input/output (`ingest.limits.attribute_value_depth_limit`). */
  documentDepthLimit?: number;
}

/** Everything about a trace that both kinds of run record are made from. */
interface Analysis {
  trace: AssembledTrace;
  depthLimit: number | undefined;
  tree: SpanTree;
  root: RunRoot;
  final: boolean;
  errors: TraceErrors;
  leaves: SpanNode[];
  usage: UsageCount;
  outcome: RunOutcome;
  models: ModelInfo;
  /** The daemon's span for the end of a replayed command; null outside replays. */
  replayEnd: SpanNode | null;
}

/**
 * Maps one assembled trace to its run record by the rules of CONVENTIONS.md. Pure: the same
 * trace always gives the same record, and nothing outside it is read or changed.
 *
 * Phases: `started` and `interrupted` give a `running` record (read from the best root
 * among the spans present) with no completion time; `complete` gives `completed` or
 * `failed`; `orphaned` the same, marked `incomplete` and read from its earliest span.
 * Returns null when the trace is unrecognised and `options.unrecognized` is `drop`, or when
 * it holds no span at all (log records alone do not make a run).
 */
export function mapTrace(trace: AssembledTrace, options: MapTraceOptions): RunRecord | null {
  const tree = buildTree(trace.spans, spanRole, trace.logs);
  if (tree === null) return null;
  const recognised = isRecognised(tree);
  if (!recognised && options.unrecognized === 'drop') return null;
  const run = analyse(trace, tree, options.documentDepthLimit);
  return recognised && runKind(run.root, tree, run.replayEnd) === 'workflow' ? workflowRecord(run) : agentRecord(run);
}

function analyse(trace: AssembledTrace, tree: SpanTree, depthLimit: number | undefined): Analysis {
  const root = findRunRoot(tree, trace.phase);
  const final = trace.phase === 'complete' || trace.phase === 'orphaned';
  const errors = traceErrors(tree);
  const leaves = leafLlmSpans(tree);
  const replayEnd = replayEndSpan(tree);
  return {
    trace,
    depthLimit,
    tree,
    root,
    final,
    errors,
    leaves,
    usage: countUsage(tree),
    outcome: runOutcome(root.node, errors, final, replayEnd),
    models: modelInfo(root.node, leaves),
    replayEnd,
  };
}

function agentRecord(run: Analysis): AgentRunRecord {
  const identity = agentIdentity(run.root, run.tree);
  const artifacts = placeArtifacts(run.tree, new Set()).run;
  const node = run.root.node;
  return {
    kind: 'agent',
    ...common(run, artifacts, identity.agentId),
    ...identity,
    ...run.models,
    exitCode: run.outcome.exitCode,
    memoryMb: resolve('memoryMb', node) ?? null,
    cpuSeconds: resolve('cpuSeconds', node) ?? null,
    filesModified: resolve('filesModified', node) ?? artifacts.filter((a) => a.modified).length,
  };
}

function workflowRecord(run: Analysis): WorkflowRunRecord {
  const steps = stepSpans(run.tree, run.root.node);
  const artifacts = placeArtifacts(run.tree, new Set(steps));
  // While the workflow's root is missing the run root may be a step: it is then one of the agents' spans.
  const workflowSpan = steps.includes(run.root.node) ? null : run.root.node;
  return {
    kind: 'workflow',
    ...common(run, artifacts.run, null),
    ...workflowIdentity(run.root, run.tree),
    steps: stepRecords(steps, run.errors, artifacts, run.tree, run.depthLimit),
    agentsUsed: agentsUsed(run.tree, workflowSpan),
  };
}

function common(run: Analysis, artifacts: Artifact[], runAgentId: string | null): Omit<RunCommon, 'kind'> {
  const { trace, tree, usage } = run;
  const node = run.root.node;
  const shares = usageShares(run, runAgentId);
  return {
    traceId: trace.traceId,
    serviceName: resolve('serviceName', node) ?? null,
    startedAtMs: node.startMs,
    completedAtMs: run.final ? completedAtMs(run) : null,
    status: run.outcome.status,
    incomplete: trace.phase === 'orphaned',
    usage: usage.usage,
    usageCountedSpans: usage.shares.map((s) => s.node.id),
    usageShares: shares,
    costUsd: usage.costUsd,
    costSource: usage.costReported ? 'reported' : 'none',
    usageByModel: usageByModel(shares),
    priceBookVersion: null,
    spanCount: tree.byStart.length,
    errorCount: run.errors.origins.length,
    sessionId: runSession(node, tree, trace.logs),
    replayOf: resolve('replayOf', node) ?? (run.replayEnd === null ? undefined : resolve('replayOf', run.replayEnd)) ?? null,
    error: runError(run.outcome.status, node, run.errors, run.replayEnd),
    // A replayed agent that does not report its input still got one: the original's.
    input: runInput(node, run.replayEnd === null ? run.leaves : [...run.leaves, run.replayEnd], run.depthLimit),
    output: runOutput(node, run.leaves, run.errors.errored.has(node), run.depthLimit),
    artifacts,
    logs: runLogs(tree, trace.logs),
    privacy: redactionCounts(trace),
  };
}

/** A share's provider and model: its span's own, else the run's; a model alone may name its provider. */
function shareModel(node: SpanNode, run: ModelInfo): { provider: string | null; model: string | null } {
  const model = resolve('model', node) ?? run.model;
  const own = resolve('provider', node) ?? (model === null ? undefined : providerOfModel(model));
  return { provider: own ?? run.provider, model };
}

/** The latest end in the run root's subtree; an orphan's root is a guess, so all spans count. */
function completedAtMs(run: Analysis): number {
  const spans = run.trace.phase === 'orphaned' ? run.tree.byStart : subtree(run.root.node);
  return spans.reduce((latest, n) => Math.max(latest, n.endMs), run.root.node.endMs);
}

/**
 * Who used each share: the agent of the nearest agent span, except that the agent run's own
 * root stands for the run's agent_id (which may come from a span below it, or the service).
 */
function usageShares(run: Analysis, runAgentId: string | null): UsageShare[] {
  const agentOf = nearestIn(run.tree, isAgentSpan);
  return run.usage.shares.map(({ node, usage, costUsd, costReported }) => {
    const agent = agentOf(node);
    const named = agent === null || (agent === run.root.node && runAgentId !== null) ? undefined : agentIdOf(agent);
    return {
      spanId: node.id,
      agentId: named ?? runAgentId,
      ...shareModel(node, run.models),
      usage,
      costUsd,
      costReported,
    };
  });
}
