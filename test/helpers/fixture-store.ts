import { newRunId, RunCatalog, writeRun } from '../../src/store/index.js';
import type { RunRecord, RunStatus } from '../../src/model/index.js';
import { agentRecord, stepRecord, textArtifact, workflowRecord } from '../unit/store/records.js';

/** What a fixture run was written with, to compute expected answers from. */
export interface FixtureRun {
  runId: string;
  kind: 'agent' | 'workflow';
  /** agent_id or workflow_id. */
  subject: string;
  status: RunStatus;
  startedAtMs: number;
  model: string | null;
  traceId: string;
  tokens: number;
  costUsd: number;
  /** A word that appears only in this run's input. */
  marker: string;
  /** Artifact paths written (every tenth agent run has two). */
  artifacts: string[];
  /** session_id: every other run belongs to one of two conversations. */
  session: string | null;
}

/** Options of {@link writeFixtureStore}. */
export interface FixtureOptions {
  count: number;
  /** The newest run starts shortly before this time. */
  nowMs?: number;
  /** Runs are spread evenly over this many days before `nowMs`. */
  days?: number;
  /** Run directories written at once. */
  concurrency?: number;
  /**
   * Also write the run index as the daemon's writer would (from what was written, without
   * reading it back), so a daemon or CLI opening the store need not rebuild it.
   */
  index?: boolean;
  /**
   * Write only each run's directory and metadata.yaml (as the writer does for a run first
   * seen running): all that list, search and stats read, at a fraction of the files.
   */
  metadataOnly?: boolean;
}

/** The agents of fixture runs; every tenth run is a workflow instead. */
export const FIXTURE_AGENTS = ['coder', 'planner', 'reviewer'] as const;
/** Statuses cycled through independently of the agents. */
export const FIXTURE_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'running'];
/** Models cycled through independently of agents and statuses. */
export const FIXTURE_MODELS = ['gpt-4', 'claude-3'] as const;
const DAY_MS = 86_400_000;

/**
 * Writes `count` real run directories with the store's writer: agents, statuses and models
 * in independent cycles, start times spread over `days` (30) days before `nowMs`, every
 * tenth run a workflow, every tenth agent run with artifacts. Returns what was written,
 * newest first.
 */
export async function writeFixtureStore(runsDir: string, options: FixtureOptions): Promise<FixtureRun[]> {
  const nowMs = options.nowMs ?? Date.now();
  const span = (options.days ?? 30) * DAY_MS;
  const runs = Array.from({ length: options.count }, (_, i) => fixtureRun(i, nowMs - 60_000 - Math.floor((i * span) / options.count)));
  const concurrency = options.concurrency ?? 16;
  const catalog = options.index ? await RunCatalog.open(runsDir) : null;
  try {
    for (let i = 0; i < runs.length; i += concurrency) {
      const batch = runs.slice(i, i + concurrency);
      const written = await Promise.all(
        batch.map((run) =>
          writeRun(runsDir, { runId: run.runId, record: recordOf(run), traceJson: traceJsonOf(run) }, { metadataOnly: options.metadataOnly }),
        ),
      );
      await catalog?.apply(
        written.map((result, j) => ({ upsert: { kind: batch[j]!.kind, runId: batch[j]!.runId }, written: result })),
      );
    }
  } finally {
    catalog?.close();
  }
  return runs.sort((a, b) => (a.runId < b.runId ? 1 : -1));
}

function fixtureRun(i: number, startedAtMs: number): FixtureRun {
  const workflow = i % 10 === 9;
  const status = FIXTURE_STATUSES[Math.floor(i / 3) % FIXTURE_STATUSES.length] ?? 'completed';
  const traceId = (i + 1).toString(16).padStart(32, '0');
  return {
    // Derived from the trace id, as the daemon derives it: no random source per run.
    runId: newRunId(startedAtMs, traceId),
    kind: workflow ? 'workflow' : 'agent',
    subject: workflow ? 'research' : (FIXTURE_AGENTS[i % FIXTURE_AGENTS.length] ?? 'coder'),
    status,
    startedAtMs,
    model: workflow ? null : (FIXTURE_MODELS[Math.floor(i / 9) % FIXTURE_MODELS.length] ?? null),
    traceId,
    tokens: 100 + (i % 50) * 10,
    costUsd: Number((0.001 * (1 + (i % 20))).toFixed(6)),
    marker: `marker${i}x`,
    artifacts: i % 10 === 0 ? ['report.md', 'out/data.json'] : [],
    session: i % 2 === 1 ? null : i % 4 === 0 ? 'conv-a' : 'conv-b',
  };
}

function recordOf(run: FixtureRun): RunRecord {
  const usage = { input: run.tokens - 40, output: 40, cacheRead: 0, cacheWrite: 0, reasoning: 0, audioInput: 0, audioOutput: 0, audioCacheRead: 0 };
  const common = {
    traceId: run.traceId,
    startedAtMs: run.startedAtMs,
    completedAtMs: run.status === 'running' ? null : run.startedAtMs + 5_000 + (run.tokens % 7) * 1000,
    status: run.status,
    usage,
    costUsd: run.costUsd,
    sessionId: run.session,
    input: { task: `Task ${run.marker}` },
    output: run.status === 'completed' ? { text: `Done with ${run.subject}` } : null,
    artifacts: run.artifacts.map((path) => textArtifact(path, `${path} of ${run.runId}\n`)),
  };
  if (run.kind === 'workflow') {
    return workflowRecord({ ...common, workflowId: run.subject, steps: [stepRecord()] });
  }
  return agentRecord({ ...common, agentId: run.subject, agentName: `Agent ${run.subject}`, model: run.model });
}

function traceJsonOf(run: FixtureRun): string {
  const nanos = `${run.startedAtMs}000000`;
  const span = { traceId: run.traceId, spanId: run.traceId.slice(16), name: 'invoke_agent', kind: 1, startTimeUnixNano: nanos, endTimeUnixNano: nanos };
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'fixture' }, spans: [span] }] }] });
}
