/** A measured figure next to its baseline from the same run, and the goal it is held to. */

export type Goal =
  /** value / baseline must be at least `min` (throughputs). */
  | { kind: 'ratio-min'; min: number }
  /** value must be at most `max`, in the figure's unit. */
  | { kind: 'max'; max: number };

export interface Figure {
  id: string;
  label: string;
  unit: string;
  value: number;
  baseline: number;
  /** What the baseline is. */
  baselineLabel: string;
  /** value / baseline: above 1 is more throughput, or more time or memory. */
  ratio: number;
  goal: Goal | null;
  /** Whether the goal is met; null without a goal. */
  met: boolean | null;
  /** Why the figure may not be what the goal is about (e.g. measured at a smaller size). */
  note?: string;
}

export function figure(
  id: string,
  label: string,
  unit: string,
  value: number,
  baseline: number,
  baselineLabel: string,
  goal: Goal | null = null,
  note?: string,
): Figure {
  const ratio = value / baseline;
  const met = goal === null ? null : goal.kind === 'ratio-min' ? ratio >= goal.min : value <= goal.max;
  return { id, label, unit, value, baseline, baselineLabel, ratio, goal, met, ...(note ? { note } : {}) };
}

function formatValue(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${unit}`;
}

function formatGoal(goal: Goal | null, unit: string): string {
  if (!goal) return '';
  return goal.kind === 'ratio-min' ? `>= ${goal.min} x baseline` : `<= ${formatValue(goal.max, unit)}`;
}

/** A plain-text table: figure, value, baseline, ratio, goal, met. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = [
    ['figure', 'value', 'baseline', 'ratio', 'goal', 'met?'],
    ...figures.map((f) => [
      f.label,
      formatValue(f.value, f.unit),
      `${formatValue(f.baseline, f.unit)} (${f.baselineLabel})`,
      `${f.ratio.toFixed(2)} x`,
      formatGoal(f.goal, f.unit),
      f.met === null ? '' : f.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 1 || c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const notes = figures.filter((f) => f.note).map((f) => `  * ${f.label}: ${f.note}`);
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** The goals missed, as sentences for the report. */
export function missedGoals(figures: readonly Figure[]): string[] {
  return figures
    .filter((f) => f.met === false)
    .map((f) => `${f.label}: ${formatValue(f.value, f.unit)} (${f.ratio.toFixed(2)} x ${f.baselineLabel}), goal ${formatGoal(f.goal, f.unit)}`);
}
