import { structuredPatch } from 'diff';
import microdiff from 'microdiff';

/** One changed key of two JSON outputs (`path` like `answer.items[2]`). */
export interface KeyChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  a?: unknown;
  b?: unknown;
}

/** One hunk of a line diff: a unified-diff header and its lines, each starting with ` `, `-` or `+`. */
export interface LineHunk {
  header: string;
  lines: string[];
}

/**
 * How two runs' outputs differ: `same` (exactly, or after JSON normalization); a key diff
 * for JSON objects and arrays; a line diff for text (a JSON string, or the `{"text": ...}`
 * that holds output which was not JSON) and for anything else; `too_different` when a line
 * diff would take too long to compute.
 */
export type OutputDiff =
  | { kind: 'same' }
  | { kind: 'keys'; changes: KeyChange[] }
  | { kind: 'lines'; hunks: LineHunk[] }
  | { kind: 'too_different' };

// Past this nesting a key diff could exhaust the stack: such outputs get a line diff.
const MAX_KEY_DIFF_DEPTH = 64;
// A line diff of two very different large texts can take long; past this it is given up.
const LINE_DIFF_TIMEOUT_MS = 2000;

/**
 * True when two `output.json` texts hold the same output: byte for byte, or as JSON once
 * keys are put in one order and whitespace is ignored. Null means no output.
 */
export function sameOutput(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const [x, y] = [parse(a), parse(b)];
  return x.ok && y.ok && canonical(x.value) === canonical(y.value);
}

/** How output `b` differs from output `a` (each the text of `output.json`, or null for none). */
export function diffOutputs(a: string | null, b: string | null): OutputDiff {
  if (sameOutput(a, b)) return { kind: 'same' };
  const [x, y] = [parse(a ?? 'null'), parse(b ?? 'null')];
  if (x.ok && y.ok && isContainer(x.value) && isContainer(y.value) && !isText(x.value) && !isText(y.value)) {
    if (Array.isArray(x.value) === Array.isArray(y.value) && depthWithin(x.value) && depthWithin(y.value)) {
      return { kind: 'keys', changes: keyChanges(x.value, y.value) };
    }
  }
  return lineDiff(textOf(x, a), textOf(y, b));
}

function keyChanges(a: object, b: object): KeyChange[] {
  return microdiff(a as Record<string, unknown>, b as Record<string, unknown>).map((d) => {
    const path = formatPath(d.path);
    if (d.type === 'CREATE') return { path, change: 'added', b: d.value };
    if (d.type === 'REMOVE') return { path, change: 'removed', a: d.oldValue };
    return { path, change: 'changed', a: d.oldValue, b: d.value };
  });
}

function lineDiff(a: string, b: string): OutputDiff {
  const patch = structuredPatch('a', 'b', withNewline(a), withNewline(b), undefined, undefined, { context: 3, timeout: LINE_DIFF_TIMEOUT_MS });
  if (patch === undefined) return { kind: 'too_different' };
  return {
    kind: 'lines',
    hunks: patch.hunks.map((h) => ({ header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, lines: h.lines })),
  };
}

/** The text a line diff compares: the text itself for text output, else the pretty JSON. */
function textOf(parsed: Parsed, raw: string | null): string {
  if (!parsed.ok) return raw ?? '';
  const value = parsed.value;
  if (typeof value === 'string') return value;
  if (isText(value)) return (value as { text: string }).text;
  return JSON.stringify(value, null, 2);
}

/** `{"text": "..."}` alone: how the store keeps output that was not JSON. */
function isText(value: unknown): boolean {
  return isContainer(value) && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { text?: unknown }).text === 'string';
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** JSON with object keys sorted at every level (iterative: output may nest deeply). */
function canonical(value: unknown): string {
  if (!depthWithin(value)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, v: unknown) =>
    isContainer(v) && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}

/** Whether `value` nests at most {@link MAX_KEY_DIFF_DEPTH} levels, checked without recursion. */
function depthWithin(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (!isContainer(node)) continue;
    if (depth >= MAX_KEY_DIFF_DEPTH) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(segment) ? `${out === '' ? '' : '.'}${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
