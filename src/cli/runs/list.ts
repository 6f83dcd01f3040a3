import { DEFAULT_LIMIT, type RunQuery } from '../../store/index.js';
import type { RunKind, RunStatus } from '../../model/index.js';
import { formatBytes, formatCost, formatCount, formatDuration, formatRelative, formatStatus, formatValue, renderTable, stdoutStyle } from './format.js';
import { limitFlag, printJson, timeFlag, withSource, type RunsFlags } from './options.js';
import type { RunsPage } from './source.js';

/** Flags of `runs list` and `runs search`. */
export interface SearchFlags extends RunsFlags {
  limit?: string;
  kind?: string;
  agent?: string;
  workflow?: string;
  status?: string;
  since?: string;
  until?: string;
  model?: string;
  session?: string;
  text?: string;
}

/** `paracle runs list` / `search`: runs matching every filter given, newest first. */
export async function searchCommand(flags: SearchFlags): Promise<void> {
  const nowMs = Date.now();
  const query: RunQuery = {
    kind: flags.kind as RunKind | undefined,
    agent: flags.agent,
    workflow: flags.workflow,
    status: flags.status as RunStatus | undefined,
    sinceMs: timeFlag(flags.since, '--since', nowMs),
    untilMs: timeFlag(flags.until, '--until', nowMs),
    model: flags.model,
    session: flags.session,
    text: flags.text,
    limit: limitFlag(flags.limit, DEFAULT_LIMIT),
  };
  const page = await withSource(flags, (source) => source.list(query));
  if (flags.json) printJson(page);
  else process.stdout.write(renderRuns(page));
}

/** `paracle runs get RUN_ID`: metadata and files of one run. */
export async function getCommand(runId: string, flags: RunsFlags): Promise<void> {
  const detail = await withSource(flags, (source) => source.get(runId));
  if (flags.json) return printJson(detail);
  const { files, ...metadata } = detail;
  const style = stdoutStyle();
  const rows = Object.entries(metadata)
    .filter(([key]) => key !== 'steps')
    .map(([key, value]) => [key, key === 'status' ? formatStatus(value, style) : formatValue(value)]);
  process.stdout.write(renderTable(['FIELD', 'VALUE'], rows));
  process.stdout.write(`\n${renderTable(['FILE', 'SIZE'], files.map((f) => [f.path, formatBytes(f.size)]), new Set([1]))}`);
}

function renderRuns(page: RunsPage): string {
  if (page.runs.length === 0) return 'no runs match\n';
  const style = stdoutStyle();
  const rows = page.runs.map((run) => [
    formatValue(run.run_id),
    formatValue(run.kind),
    formatValue(run.kind === 'workflow' ? run.workflow_id : run.agent_id),
    formatStatus(run.status, style),
    formatRelative(run.started_at, style.nowMs),
    formatDuration(run.duration_seconds),
    formatCount(run.kind === 'workflow' ? run.tokens_total : run.tokens_used),
    formatCost(run.kind === 'workflow' ? run.cost_total_usd : run.cost_usd),
    formatValue(run.model),
  ]);
  const more = page.next_cursor ? `(more runs: raise --limit)\n` : '';
  return renderTable(['RUN ID', 'KIND', 'NAME', 'STATUS', 'STARTED', 'DURATION', 'TOKENS', 'COST', 'MODEL'], rows, new Set([5, 6, 7])) + more;
}
