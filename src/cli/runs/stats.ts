import { formatCost, formatCount, formatDuration, formatValue, renderTable } from './format.js';
import { printJson, timeFlag, withSource, type RunsFlags } from './options.js';

/** Flags of `runs stats`. */
export interface StatsFlags extends RunsFlags {
  by?: string;
  since?: string;
  until?: string;
}

/** `paracle runs stats [--by agent|workflow|model|status|project|session] [--since DUR]`. */
export async function statsCommand(flags: StatsFlags): Promise<void> {
  const nowMs = Date.now();
  const query = { by: flags.by, sinceMs: timeFlag(flags.since, '--since', nowMs), untilMs: timeFlag(flags.until, '--until', nowMs) };
  const answer = await withSource(flags, (source) => source.stats(query));
  if (flags.json) return printJson({ ...answer, since: flags.since ?? null });
  if (answer.groups.length === 0) return void process.stdout.write('no runs match\n');
  const rows = answer.groups.map((g) => [
    formatValue(g.key),
    formatCount(g.count),
    formatCount(g.failures),
    formatCount(g.tokens),
    formatCost(g.cost_usd),
    formatDuration(g.p50_duration_seconds),
    formatDuration(g.p95_duration_seconds),
  ]);
  const header = [(answer.by ?? 'all').toUpperCase(), 'RUNS', 'FAILED', 'TOKENS', 'COST', 'P50', 'P95'];
  process.stdout.write(renderTable(header, rows, new Set([1, 2, 3, 4, 5, 6])));
}
