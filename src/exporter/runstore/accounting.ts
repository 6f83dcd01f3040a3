import type { RunRecord, RunStatus } from '../../model/index.js';
import { CorruptRunFileError, parseMetadata, type RunRef } from '../../store/index.js';
import type { RunFinished, RunningRun, UsageIncrement } from '../../telemetry/index.js';

/** What the accounting tells the metrics (the real ones, or a message to the thread that has them). */
export interface AccountingSink {
  usageAdded(increments: readonly UsageIncrement[]): void;
  runFinished(run: RunFinished): void;
  /** The trace's run is now written as running (`run`), or no longer (null). */
  running(traceId: string, run: RunningRun | null): void;
}

/** What the metrics have counted of one trace's run so far. */
export interface Counted {
  /** The run was written final and counted in `paracle_runs_total`. */
  final: boolean;
  /** Tokens and cost counted (from the final write on), per label set. */
  usage: ReadonlyMap<string, UsageIncrement>;
}

const NOTHING_COUNTED: Counted = { final: false, usage: new Map() };

/**
 * Keeps the run metrics idempotent across re-writes of a run: a run is counted once when it
 * becomes final, and each write adds only the tokens and cost not counted before, per label
 * set. Also tells which runs are currently written as running, for `paracle_runs_running`.
 * Invariant: once a run was written final, the metrics have counted the usage of the spans
 * its metadata.yaml lists in `usage_counted_spans` (and nothing while it was running), which
 * lets the count resume from the store when memory no longer knows the trace.
 */
export class RunAccounting {
  private readonly counted = new Map<string, Counted>();

  constructor(
    /** The text of a stored run's metadata.yaml, or null when there is none. */
    private readonly readMetadata: (stored: RunRef) => string | null,
    private readonly metrics: AccountingSink,
    private readonly capacity: number,
  ) {}

  /**
   * The delta source: what was counted for this trace before this write. Remembered in
   * memory; else, for a run already stored, read back from its metadata.yaml (the daemon
   * restarted or forgot the trace); else nothing. Call before the run is moved or re-written.
   */
  countedBefore(traceId: string, stored: RunRef | undefined, record: RunRecord): Counted {
    const known = this.counted.get(traceId);
    if (known || !stored) return known ?? NOTHING_COUNTED;
    const text = this.readMetadata(stored);
    if (text === null) return NOTHING_COUNTED;
    try {
      return countedFromMetadata(parseMetadata(text), record);
    } catch (err) {
      if (err instanceof CorruptRunFileError) return NOTHING_COUNTED;
      throw err;
    }
  }

  /**
   * Counts what writing `record` as `runId` adds to what was counted `before`. Usage is
   * counted from the write that makes the run final: before the root span arrives, the
   * agent a call ran under (a label) may still change.
   */
  written(traceId: string, runId: string, record: RunRecord, before: Counted): void {
    const { status } = record;
    if (!isFinal(status)) {
      this.metrics.running(traceId, { kind: record.kind, id: runIdLabel(record) });
      // Known here, so the final write need not read the running run's metadata.yaml back.
      this.remember(traceId, before);
      return;
    }
    this.metrics.running(traceId, null);
    const now = usageByLabels(record, () => true);
    const increments = [...now].flatMap(([key, usage]) => increment(before.usage.get(key), usage));
    if (increments.length > 0) this.metrics.usageAdded(increments);
    if (!before.final) this.metrics.runFinished(finishedRun(runId, record, status));
    this.remember(traceId, { final: true, usage: mergeCounted(before.usage, now) });
  }

  private remember(traceId: string, counted: Counted): void {
    this.counted.delete(traceId);
    this.counted.set(traceId, counted);
    if (this.counted.size > this.capacity) {
      const oldest = this.counted.keys().next().value;
      if (oldest !== undefined) this.counted.delete(oldest);
    }
  }
}

function isFinal(status: RunStatus): status is 'completed' | 'failed' {
  return status === 'completed' || status === 'failed';
}

function runIdLabel(record: RunRecord): string {
  return record.kind === 'agent' ? record.agentId : record.workflowId;
}

/** What the previous write counted, rebuilt from its metadata.yaml and the spans it names. */
function countedFromMetadata(metadata: Record<string, unknown>, record: RunRecord): Counted {
  if (metadata.status !== 'completed' && metadata.status !== 'failed') return NOTHING_COUNTED;
  const listed = metadata.usage_counted_spans;
  const spans = new Set(Array.isArray(listed) ? listed.filter((s): s is string => typeof s === 'string') : []);
  return { final: true, usage: usageByLabels(record, (spanId) => spans.has(spanId)) };
}

/** The record's tokens and cost summed per label set, over the usage shares `include` keeps. */
function usageByLabels(record: RunRecord, include: (spanId: string) => boolean): Map<string, UsageIncrement> {
  const workflow = record.kind === 'workflow' ? record.workflowId : '';
  const estimatedPerToken = estimatedCostPerToken(record);
  const byLabels = new Map<string, UsageIncrement>();
  for (const share of record.usageShares) {
    if (!include(share.spanId)) continue;
    const labels = { agent: share.agentId ?? '', workflow, provider: share.provider ?? '', model: share.model ?? '' };
    const key = [labels.agent, labels.workflow, labels.provider, labels.model].join('\n');
    const sum = byLabels.get(key) ?? { ...labels, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costUsd: 0 };
    sum.inputTokens += share.usage.input;
    sum.outputTokens += share.usage.output;
    sum.cacheReadTokens += share.usage.cacheRead;
    sum.cacheWriteTokens += share.usage.cacheWrite;
    sum.reasoningTokens += share.usage.reasoning;
    const estimated = share.costReported ? 0 : (estimatedPerToken.get(modelKey(share)) ?? 0) * tokensOf(share.usage);
    sum.costUsd += share.costUsd + estimated;
    byLabels.set(key, sum);
  }
  return byLabels;
}

/**
 * The price book prices tokens per (provider, model), not per call: each unreported share
 * gets its model's estimated cost in proportion to its tokens.
 */
function estimatedCostPerToken(record: RunRecord): Map<string, number> {
  const perToken = new Map<string, number>();
  for (const group of record.usageByModel) {
    const tokens = tokensOf(group.usage);
    if (group.reportedCostUsd !== null || group.estimatedCostUsd === null || tokens === 0) continue;
    perToken.set(modelKey(group), group.estimatedCostUsd / tokens);
  }
  return perToken;
}

function modelKey(of: { provider: string | null; model: string | null }): string {
  return `${of.provider ?? ''}\n${of.model ?? ''}`;
}

function tokensOf(usage: { input: number; output: number }): number {
  return usage.input + usage.output;
}

const MEASURES = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd'] as const;

/** `a` with each measure replaced by `op(a's, b's)`; a missing `b` counts as zero. */
function combine(a: UsageIncrement, b: UsageIncrement | undefined, op: (x: number, y: number) => number): UsageIncrement {
  const result = { ...a };
  for (const measure of MEASURES) result[measure] = op(a[measure], b?.[measure] ?? 0);
  return result;
}

/** What `now` adds over `before` for one label set; counters never go down. */
function increment(before: UsageIncrement | undefined, now: UsageIncrement): UsageIncrement[] {
  const added = combine(now, before, (n, b) => Math.max(0, n - b));
  return MEASURES.some((m) => added[m] > 0) ? [added] : [];
}

/** Per label set and measure, the larger of two counts: what the counters now hold. */
function mergeCounted(before: ReadonlyMap<string, UsageIncrement>, now: ReadonlyMap<string, UsageIncrement>): Map<string, UsageIncrement> {
  const merged = new Map(before);
  for (const [key, usage] of now) merged.set(key, combine(usage, merged.get(key), Math.max));
  return merged;
}

function finishedRun(runId: string, record: RunRecord, status: RunFinished['status']): RunFinished {
  const end = record.completedAtMs ?? record.startedAtMs;
  return {
    kind: record.kind,
    id: runIdLabel(record),
    runId,
    traceId: record.traceId,
    status,
    durationSeconds: Math.max(0, end - record.startedAtMs) / 1000,
    steps: record.kind === 'workflow'
      ? record.steps.flatMap((s) => (s.status === 'running' ? [] : [{ stepId: s.stepId, status: s.status, durationSeconds: s.durationSeconds }]))
      : [],
  };
}
