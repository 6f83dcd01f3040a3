import { InvalidInputError } from '../../lib/index.js';
import { compareRuns, readPair, type Delta, type RunComparison } from './compare.js';
import { escapeControl, formatCost, formatDuration, formatValue, renderTable } from './format.js';
import { printJson, withSource, type RunsFlags } from './options.js';
import type { OutputDiff } from './output-diff.js';
import type { RunsSource } from './source.js';

/**
 * `paracle runs diff RUN_A [RUN_B]`: metadata side by side, token/cost/duration deltas and
 * how the output changed. With one id, the run is compared with the run it replays.
 */
export async function diffCommand(runA: string, runB: string | undefined, flags: RunsFlags): Promise<void> {
  const comparison = await withSource(flags, async (source) => {
    const [a, b] = runB === undefined ? [await replayedBy(source, runA), runA] : [runA, runB];
    return compareRuns(await readPair(source, a, b));
  });
  if (flags.json) return printJson(comparison);
  process.stdout.write(renderComparison(comparison));
}

/** The run `runId` replays; {@link InvalidInputError} when it is no replay. */
async function replayedBy(source: RunsSource, runId: string): Promise<string> {
  const original = (await source.get(runId)).replay_of;
  if (typeof original !== 'string') throw new InvalidInputError(`run ${runId} is not a replay (its replay_of is null): give two run ids`);
  return original;
}

/** A comparison as text: the fields table, the deltas and the output diff. */
export function renderComparison(c: RunComparison): string {
  const rows = c.fields.map((f) => [f.same ? ' ' : '*', f.field, clip(formatValue(f.a)), clip(formatValue(f.b))]);
  return [
    renderTable(['', 'FIELD', c.run_a, c.run_b], rows).trimEnd(),
    '',
    `tokens:   ${deltaLine(c.tokens, (n) => String(n), (n) => signed(n, String(Math.abs(n))))}`,
    `cost:     ${deltaLine(c.cost_usd, formatCost, (n) => signed(n, formatCost(Math.abs(n))))}`,
    `duration: ${deltaLine(c.duration_seconds, formatDuration, (n) => signed(n, formatDuration(Math.abs(n))))}`,
    '',
    ...renderOutputDiff(c.output.diff, c.run_a, c.run_b),
    '',
  ].join('\n');
}

function deltaLine(d: Delta, format: (n: number) => string, formatDelta: (n: number) => string): string {
  const side = (n: number | null): string => (n === null ? '-' : format(n));
  return `${side(d.a)} -> ${side(d.b)}${d.delta === null ? '' : ` (${formatDelta(d.delta)})`}`;
}

function signed(value: number, magnitude: string): string {
  return `${value < 0 ? '-' : '+'}${magnitude}`;
}

// A changed value longer than this is cut in the text view (--json has it whole).
const SHOWN_CHARS = 200;

// A field longer than this is cut in the table, which stays readable (--json has it whole).
const CELL_CHARS = 60;

function shown(value: unknown): string {
  return clip(JSON.stringify(value) ?? 'null', SHOWN_CHARS);
}

function clip(text: string, max = CELL_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function renderOutputDiff(diff: OutputDiff, runA: string, runB: string): string[] {
  switch (diff.kind) {
    case 'same':
      return ['output: identical'];
    case 'too_different':
      return ['output: changed (too different to show line by line)'];
    case 'keys':
      return [
        'output: changed keys',
        ...diff.changes.map((k) =>
          k.change === 'added'
            ? `  + ${escapeControl(k.path)}: ${shown(k.b)}`
            : k.change === 'removed'
              ? `  - ${escapeControl(k.path)}: ${shown(k.a)}`
              : `  ~ ${escapeControl(k.path)}: ${shown(k.a)} -> ${shown(k.b)}`,
        ),
      ];
    case 'lines':
      // Output lines are the agent's text: control characters are escaped, never sent to the terminal.
      return ['output: changed lines', `--- ${runA}`, `+++ ${runB}`, ...diff.hunks.flatMap((h) => [h.header, ...h.lines.map(escapeControl)])];
  }
}
