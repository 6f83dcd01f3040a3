import { join } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';
import type { RunKind } from '../model/index.js';
import { storeOp } from './errors.js';
import { isValidRunId } from './layout.js';
import { readTextIfExists } from './read-text.js';

/** Where a trace's run lives, and whether it was written as final (its id is settled). */
export interface TraceRunEntry {
  kind: RunKind;
  runId: string;
  final: boolean;
  /**
   * Where the run was before a move this entry announces. The entry is written before the
   * directory is renamed, so after a crash in between the move is found and finished.
   */
  movedFrom: { kind: RunKind; runId: string } | null;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** `<runs-dir>/.traces/ab/<trace id>`: two-level so no folder holds millions of files. */
function entryPath(runsDir: string, traceId: string): string {
  if (!TRACE_ID.test(traceId)) throw new Error(`not a trace id: ${traceId}`);
  return join(runsDir, '.traces', traceId.slice(0, 2), traceId);
}

/**
 * Records which run a trace belongs to. Written before the run directory itself, so that
 * after a crash a replayed or late span finds its run instead of starting a second one.
 */
export async function writeTraceRun(runsDir: string, traceId: string, entry: TraceRunEntry): Promise<void> {
  const path = entryPath(runsDir, traceId);
  const from = entry.movedFrom ? ` ${entry.movedFrom.kind} ${entry.movedFrom.runId}` : '';
  const text = `${entry.kind} ${entry.runId} ${entry.final ? 'final' : 'open'}${from}\n`;
  await storeOp('write', path, () => writeFileAtomic(path, text));
}

/** The run recorded for a trace, or null when the trace has none (or the entry is unreadable). */
export async function readTraceRun(runsDir: string, traceId: string): Promise<TraceRunEntry | null> {
  const path = entryPath(runsDir, traceId);
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const [kind, runId, state, fromKind, fromRunId] = text.trim().split(' ');
  if (!isKind(kind) || !runId || !isValidRunId(runId)) return null;
  const movedFrom = isKind(fromKind) && fromRunId && isValidRunId(fromRunId) ? { kind: fromKind, runId: fromRunId } : null;
  return { kind, runId, final: state === 'final', movedFrom };
}

function isKind(text: string | undefined): text is RunKind {
  return text === 'agent' || text === 'workflow';
}
