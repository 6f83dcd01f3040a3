import { NotFoundError } from '../../lib/index.js';
import type { RunDetail } from '../../store/index.js';
import { diffOutputs, sameOutput, type OutputDiff } from './output-diff.js';
import type { RunsSource } from './source.js';

/** One metadata field of two runs. */
export interface FieldDiff {
  field: string;
  a: unknown;
  b: unknown;
  same: boolean;
}

/** A figure of two runs and how much the second differs. */
export interface Delta {
  a: number | null;
  b: number | null;
  delta: number | null;
}

/** `runs diff --json`: two runs side by side. */
export interface RunComparison {
  run_a: string;
  run_b: string;
  fields: FieldDiff[];
  tokens: Delta;
  cost_usd: Delta;
  duration_seconds: Delta;
  output: { a: string | null; b: string | null; same: boolean; diff: OutputDiff };
}

/** Two runs as read for a comparison. */
export interface RunPair {
  a: RunDetail;
  b: RunDetail;
  outA: string | null;
  outB: string | null;
}

// Fields that differ between any two runs and say nothing about how they differ.
const SKIPPED = new Set(['run_id', 'trace_id', 'steps', 'files', 'usage_counted_spans']);

/** Reads two runs' metadata and outputs. */
export async function readPair(source: RunsSource, runA: string, runB: string): Promise<RunPair> {
  const [a, b, outA, outB] = await Promise.all([source.get(runA), source.get(runB), outputOf(source, runA), outputOf(source, runB)]);
  return { a, b, outA, outB };
}

/** Compares run `b` with run `a`: fields, token/cost/duration deltas and the output diff. */
export function compareRuns(pair: RunPair): RunComparison {
  const { a, b, outA, outB } = pair;
  return {
    run_a: String(a.run_id),
    run_b: String(b.run_id),
    fields: compareFields(a, b),
    tokens: delta(tokensOf(a), tokensOf(b)),
    cost_usd: delta(costOf(a), costOf(b)),
    duration_seconds: delta(numberOf(a.duration_seconds), numberOf(b.duration_seconds)),
    output: { a: outA, b: outB, same: sameOutput(outA, outB), diff: diffOutputs(outA, outB) },
  };
}

/** A run's total tokens (agent `tokens_used`, workflow `tokens_total`); null when unknown. */
export function tokensOf(run: Record<string, unknown>): number | null {
  return numberOf(run.kind === 'workflow' ? run.tokens_total : run.tokens_used);
}

/** A run's cost in USD (agent `cost_usd`, workflow `cost_total_usd`); null when unknown. */
export function costOf(run: Record<string, unknown>): number | null {
  return numberOf(run.kind === 'workflow' ? run.cost_total_usd : run.cost_usd);
}

/** A run's `output.json` text, trimmed; null when it has none. */
export async function outputOf(source: RunsSource, runId: string): Promise<string | null> {
  try {
    return (await source.readFile(runId, 'output')).toString('utf8').trimEnd();
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

function compareFields(a: RunDetail, b: RunDetail): FieldDiff[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !SKIPPED.has(key));
  return keys.map((field) => ({ field, a: a[field] ?? null, b: b[field] ?? null, same: JSON.stringify(a[field]) === JSON.stringify(b[field]) }));
}

function delta(a: number | null, b: number | null): Delta {
  return { a, b, delta: a === null || b === null ? null : Number((b - a).toFixed(10)) };
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
