import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTraces } from '../../codec/otlp/index.js';
import { replayParentSpanId } from '../../model/index.js';
import type { RunDetail } from '../../store/index.js';
import type { HttpSource } from './http-source.js';

/** The body of a replay request, as the API takes it. */
export interface DaemonReplayRequest {
  model?: string;
  timeout_s?: number;
}

const POLL_MS = 250;

/**
 * Follows a replay's run until its outcome is settled and returns its metadata: the run is
 * final (completed or failed) and its trace holds the span the daemon sends when the
 * command ends, so a non-zero exit is in the status. (A run can complete from the agent's
 * own spans while its process is still exiting.) A replay always ends: its command is killed
 * at its timeout, and a daemon restarted after a crash fails what it left pending.
 */
export async function waitForEnd(daemon: HttpSource, runId: string): Promise<RunDetail> {
  for (;;) {
    const run = await daemon.get(runId);
    if ((run.status === 'completed' || run.status === 'failed') && (await commandEnded(daemon, run))) return run;
    await sleep(POLL_MS);
  }
}

/** Whether the run's trace holds the replay's end span, and its metadata counts every span of that trace. */
async function commandEnded(daemon: HttpSource, run: RunDetail): Promise<boolean> {
  const traceId = run.trace_id;
  if (typeof traceId !== 'string') return true;
  const { spans } = decodeTraces(await daemon.readFile(String(run.run_id), 'trace'), 'json');
  const endSpan = replayParentSpanId(traceId);
  return spans.some((s) => s.spanId === endSpan) && run.span_count === spans.length;
}
