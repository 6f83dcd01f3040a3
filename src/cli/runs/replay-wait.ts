import { setTimeout as sleep } from 'node:timers/promises';
import type { RunDetail } from '../../store/index.js';
import type { HttpSource } from './http-source.js';

/** The body of a replay request, as the API takes it. */
export interface DaemonReplayRequest {
  model?: string;
  timeout_s?: number;
}

const POLL_MS = 250;

/**
 * Follows a run until it is final (completed or failed) and returns its metadata. A replay
 * always ends: its command is killed at its timeout and the run then fails.
 */
export async function waitForEnd(daemon: HttpSource, runId: string): Promise<RunDetail> {
  for (;;) {
    const run = await daemon.get(runId);
    if (run.status === 'completed' || run.status === 'failed') return run;
    await sleep(POLL_MS);
  }
}
