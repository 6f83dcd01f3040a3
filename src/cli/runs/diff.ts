import { NotFoundError } from '../../lib/index.js';
import type { RunDetail } from '../../store/index.js';
import { formatCost, formatValue, renderTable } from './format.js';
import { printJson, withSource, type RunsFlags } from './options.js';
import type { RunsSource } from './source.js';

/** One metadata field of two runs. */
interface FieldDiff {
  field: string;
  a: unknown;
  b: unknown;
  same: boolean;
}

// Fields that differ between any two runs and say nothing about how they differ.
const SKIPPED = new Set(['run_id', 'trace_id', 'steps', 'files', 'usage_counted_spans']);

/** `paracle runs diff RUN_A RUN_B`: metadata side by side, output and token/cost difference. */
export async function diffCommand(runA: string, runB: string, flags: RunsFlags): Promise<void> {
  const result = await withSource(flags, async (source) => {
    const [a, b] = await Promise.all([source.get(runA), source.get(runB)]);
    const [outA, outB] = await Promise.all([outputOf(source, runA), outputOf(source, runB)]);
    return { a, b, outA, outB };
  });
  const fields = compareFields(result.a, result.b);
  const tokens = { a: tokensOf(result.a), b: tokensOf(result.b) };
  const cost = { a: costOf(result.a), b: costOf(result.b) };
  const summary = {
    run_a: runA,
    run_b: runB,
    fields,
    tokens: { ...tokens, delta: tokens.b - tokens.a },
    cost_usd: { ...cost, delta: Number((cost.b - cost.a).toFixed(10)) },
    output: { a: result.outA, b: result.outB, same: result.outA === result.outB },
  };
  if (flags.json) return printJson(summary);
  const rows = fields.map((f) => [f.same ? ' ' : '*', f.field, formatValue(f.a), formatValue(f.b)]);
  process.stdout.write(renderTable(['', 'FIELD', runA, runB], rows));
  process.stdout.write(`\ntokens: ${tokens.a} -> ${tokens.b} (${signed(summary.tokens.delta)})\n`);
  process.stdout.write(`cost:   ${formatCost(cost.a)} -> ${formatCost(cost.b)} (${summary.cost_usd.delta >= 0 ? '+' : '-'}${formatCost(Math.abs(summary.cost_usd.delta))})\n`);
  process.stdout.write(summary.output.same ? '\noutput: identical\n' : `\noutput of ${runA}:\n${result.outA ?? '-'}\noutput of ${runB}:\n${result.outB ?? '-'}\n`);
}

function compareFields(a: RunDetail, b: RunDetail): FieldDiff[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !SKIPPED.has(key));
  return keys.map((field) => ({ field, a: a[field] ?? null, b: b[field] ?? null, same: JSON.stringify(a[field]) === JSON.stringify(b[field]) }));
}

async function outputOf(source: RunsSource, runId: string): Promise<string | null> {
  try {
    return (await source.readFile(runId, 'output')).toString('utf8').trimEnd();
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

function tokensOf(run: RunDetail): number {
  const value = run.kind === 'workflow' ? run.tokens_total : run.tokens_used;
  return typeof value === 'number' ? value : 0;
}

function costOf(run: RunDetail): number {
  const value = run.kind === 'workflow' ? run.cost_total_usd : run.cost_usd;
  return typeof value === 'number' ? value : 0;
}

function signed(value: number): string {
  return value >= 0 ? `+${value}` : String(value);
}
