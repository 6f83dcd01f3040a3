import type { FileEntry, RunMeta } from './types';

/** The agent's or workflow's id, whichever the run has. */
export function subjectOf(run: RunMeta): string | null {
  return (run.kind === 'workflow' ? run.workflow_id : run.agent_id) ?? null;
}

/** A name for people: the agent or workflow name, else its id. */
export function nameOf(run: RunMeta): string {
  const name = run.kind === 'workflow' ? run.workflow_name : run.agent_name;
  return name ?? subjectOf(run) ?? run.run_id;
}

/** Input plus output tokens (agent `tokens_used`, workflow `tokens_total`). */
export function tokensOf(run: RunMeta): number | null {
  return (run.kind === 'workflow' ? run.tokens_total : run.tokens_used) ?? null;
}

/** Cost in USD (agent `cost_usd`, workflow `cost_total_usd`). */
export function costOf(run: RunMeta): number | null {
  return (run.kind === 'workflow' ? run.cost_total_usd : run.cost_usd) ?? null;
}

/** True while the run may still change (running, or a replay not started yet). */
export function isLive(run: Pick<RunMeta, 'status'>): boolean {
  return run.status === 'running' || run.status === 'pending';
}

/** Milliseconds from start to end, or to `now` while the run is live. */
export function elapsedMs(run: RunMeta, now = Date.now()): number | null {
  if (run.duration_seconds !== null && run.duration_seconds !== undefined) return run.duration_seconds * 1000;
  if (!run.started_at || !isLive(run)) return null;
  return Math.max(0, now - new Date(run.started_at).getTime());
}

/** True when the run's directory holds `path` (e.g. `input.json`, `steps/plan/output.json`). */
export function hasFile(run: { files?: readonly FileEntry[] }, path: string): boolean {
  return run.files?.some((file) => file.path === path) ?? false;
}
