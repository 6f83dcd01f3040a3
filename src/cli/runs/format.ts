/** How output is printed: colours only for a terminal that wants them. */
export interface OutputStyle {
  color: boolean;
  nowMs: number;
}

const STATUS_COLORS: Readonly<Record<string, string>> = {
  completed: '\u001b[32m',
  failed: '\u001b[31m',
  running: '\u001b[33m',
  pending: '\u001b[36m',
};
const RESET = '\u001b[0m';
// Control characters (C0, DEL, C1) and the bidirectional overrides that can hide or reorder
// text on a terminal: data never reaches it raw.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A table cell the program styles itself (a status colour): its text is escaped, its colour is not. */
export class Styled {
  constructor(
    readonly text: string,
    readonly sgr: string,
  ) {}
}

/** One table cell: text from the data (escaped when printed), or {@link Styled} text. */
export type Cell = string | Styled;

/**
 * `text` with control characters and bidirectional overrides written as escapes (`\n`,
 * `\x1b`, `\u202e`), so text from telemetry can neither move the cursor, recolour the
 * terminal nor reorder what is shown.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The style of stdout: colour on a TTY unless `NO_COLOR` is set. */
export function stdoutStyle(): OutputStyle {
  return { color: process.stdout.isTTY === true && !process.env.NO_COLOR, nowMs: Date.now() };
}

/**
 * Rows as columns padded to the widest cell, with a header row; numbers right-aligned.
 * Every cell's text is escaped ({@link escapeControl}); {@link Styled} cells keep their colour.
 */
export function renderTable(header: Cell[], rows: Cell[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const text = (cell: Cell | undefined): string => escapeControl(cell instanceof Styled ? cell.text : (cell ?? ''));
  let widths = header.map((h) => text(h).length);
  for (const row of rows) widths = widths.map((w, i) => Math.max(w, text(row[i]).length));
  const line = (cells: Cell[]): string =>
    cells
      .map((cell, i) => {
        const shown = text(cell);
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - shown.length));
        const styled = cell instanceof Styled ? `${cell.sgr}${shown}${RESET}` : shown;
        return rightAligned.has(i) ? pad + styled : styled + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A status word, coloured when the style allows. */
export function formatStatus(status: unknown, style: OutputStyle): Cell {
  const text = typeof status === 'string' ? status : '-';
  const color = STATUS_COLORS[text];
  return style.color && color ? new Styled(text, color) : text;
}

/** `1h 02m`, `3m 05s`, `4.2s`, `350ms`; `-` when unknown. */
export function formatDuration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '-';
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** `$0.0245`, `$12.30`; four decimals below a dollar so small runs do not read as free. */
export function formatCost(usd: unknown): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '-';
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** `1,234`-style thousands separators. */
export function formatCount(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toLocaleString('en-US') : '-';
}

/** `just now`, `5m ago`, `3h ago`, `2d ago`; a date past 30 days; `-` when unknown. */
export function formatRelative(iso: unknown, nowMs: number): string {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) return '-';
  const seconds = Math.round((nowMs - ms) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))}m ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h ago`;
  if (seconds < 30 * 86_400) return `${Math.round(seconds / 86_400)}d ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** `12.3 KB`-style sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Any metadata value as one table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
