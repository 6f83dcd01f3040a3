import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readdir } from 'node:fs/promises';
import type { Artifact, RunStatus } from '../../src/model/index.js';
import { newRunId, writeRun } from '../../src/store/index.js';
import { agentRecord, stepRecord, textArtifact, workflowRecord } from '../unit/store/records.js';

/** The fake "now" of maintenance tests: 2026-06-15T12:00:00Z. */
export const NOW_MS = Date.UTC(2026, 5, 15, 12);
export const DAY_MS = 86_400_000;

/** A run to write `ageDays` before {@link NOW_MS}. */
export interface AgedRun {
  /** agent_id, or workflow_id for a workflow. */
  id: string;
  ageDays: number;
  kind?: 'agent' | 'workflow';
  status?: RunStatus;
  artifacts?: Artifact[];
  /** Spans below the root; `error` ones have status ERROR. */
  children?: { error?: boolean }[];
}

/** A written run: its id and trace id. */
export interface WrittenRun {
  runId: string;
  traceId: string;
  spec: AgedRun;
}

let traceCounter = 0;

/** Writes each run with the store's own writer; returns them in the order given. */
export async function writeAgedRuns(runsDir: string, runs: readonly AgedRun[], nowMs = NOW_MS): Promise<WrittenRun[]> {
  const written: WrittenRun[] = [];
  for (const spec of runs) {
    traceCounter += 1;
    const traceId = createHash('sha256').update(`trace-${traceCounter}-${spec.id}`).digest('hex').slice(0, 32);
    const startedAtMs = nowMs - spec.ageDays * DAY_MS;
    const runId = newRunId(startedAtMs, traceId);
    const status = spec.status ?? 'completed';
    const common = {
      traceId,
      startedAtMs,
      completedAtMs: status === 'running' ? null : startedAtMs + 5_000,
      status,
      input: { task: `task of ${spec.id}` },
      output: { text: `output of ${runId}` },
      artifacts: spec.artifacts ?? [textArtifact('notes.md', `notes of ${runId}\n`)],
    };
    const record =
      spec.kind === 'workflow'
        ? workflowRecord({ ...common, workflowId: spec.id, steps: [stepRecord()] })
        : agentRecord({ ...common, agentId: spec.id, agentName: spec.id });
    await writeRun(runsDir, { runId, record, traceJson: traceJson(traceId, startedAtMs, spec.children ?? []) });
    written.push({ runId, traceId, spec });
  }
  return written;
}

/** A trace.json with a root span and the given children (span ids 00..01, 00..02, ...). */
function traceJson(traceId: string, startedAtMs: number, children: { error?: boolean }[]): string {
  const nanos = `${startedAtMs}000000`;
  const span = (n: number, parent: string, error: boolean) => ({
    traceId,
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: parent,
    name: n === 1 ? 'invoke_agent' : `step-${n}`,
    kind: 1,
    startTimeUnixNano: nanos,
    endTimeUnixNano: nanos,
    status: { code: error ? 2 : 0, message: '' },
  });
  const spans = [span(1, '', false), ...children.map((child, i) => span(i + 2, '0000000000000001', child.error ?? false))];
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'test' }, spans }] }] });
}

/** Every file under `dir` (relative POSIX path → SHA-256), to compare a tree before and after. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[relative(dir, full).split(sep).join('/')] = createHash('sha256').update(await readFile(full)).digest('hex');
  }
  return out;
}
