import { isoFromMillis } from '../lib/index.js';
import type { RunLogLine } from '../model/index.js';

// eslint-disable-next-line no-control-regex -- control characters are what must be quoted
const NEEDS_QUOTES = /[\s"=\u0000-\u001f\u007f-\u009f]/;
// JSON.stringify leaves these raw, yet some readers treat them as line breaks or controls.
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- a key must stay one bare token
const KEY_UNSAFE = /[\s"=\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const NANOS_PATTERN = /^\d{1,30}$/;
// Date's own range; a later time cannot be printed.
const MAX_DATE_MS = 8.64e15;

/**
 * One `logs.txt` line (INTERFACE.md §2), without the newline:
 * `2026-01-06T10:30:00.123Z INFO span=<name> trace_id=<hex> span_id=<hex> msg="..." key=value ...`.
 * The time has millisecond precision. `msg` is always quoted; other values are quoted (JSON
 * string escaping) when empty or holding whitespace, quotes, `=` or control characters, so
 * a line never breaks and `key=value` pairs always split cleanly. Attribute keys have such
 * characters replaced by `_`. An empty severity is written `INFO`.
 */
export function formatLogLine(line: RunLogLine): string {
  const parts = [
    isoFromMillis(millisOf(line.timeUnixNano)),
    severityToken(line.severity),
    `span=${formatValue(line.spanName)}`,
    `trace_id=${formatValue(line.traceId)}`,
    `span_id=${formatValue(line.spanId)}`,
    `msg=${quote(line.message)}`,
  ];
  for (const [key, value] of line.attributes) parts.push(`${formatKey(key)}=${formatValue(value)}`);
  return parts.join(' ');
}

/**
 * The whole `logs.txt`: lines oldest first (ties keep their given order), each ending in a
 * newline; the empty string when there are none.
 */
export function renderLogs(lines: readonly RunLogLine[]): string {
  if (lines.length === 0) return '';
  const sorted = lines
    .map((line, index) => ({ line, index, time: nanosKey(line.timeUnixNano) }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.index - b.index));
  return `${sorted.map((entry) => formatLogLine(entry.line)).join('\n')}\n`;
}

/**
 * `existing` logs.txt text with `lines` added in time order (after existing lines of the same
 * millisecond). A line already in the file is not added again, counting repeats: re-rendering
 * a run's logs, or a record received twice after its run was written, never duplicates lines.
 */
export function mergeLogs(existing: string, lines: readonly RunLogLine[]): string {
  const fresh = splitLines(renderLogs(lines));
  const old = splitLines(existing);
  const unmatched = new Map<string, number>();
  for (const line of old) unmatched.set(line, (unmatched.get(line) ?? 0) + 1);
  const added = fresh.filter((line) => {
    const count = unmatched.get(line) ?? 0;
    if (count > 0) unmatched.set(line, count - 1);
    return count === 0;
  });
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < old.length || j < added.length) {
    const takeOld = j >= added.length || (i < old.length && timeToken(old[i]!) <= timeToken(added[j]!));
    merged.push(takeOld ? old[i++]! : added[j++]!);
  }
  return merged.length === 0 ? '' : `${merged.join('\n')}\n`;
}

/** The non-empty lines of a logs text. */
export function splitLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** A line's time; fixed-width ISO text, so comparing the strings compares the times. */
function timeToken(line: string): string {
  return line.slice(0, line.indexOf(' '));
}

function formatValue(value: string): string {
  return value === '' || NEEDS_QUOTES.test(value) ? quote(value) : value;
}

function quote(value: string): string {
  return JSON.stringify(value).replace(UNESCAPED_BY_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatKey(key: string): string {
  return key.replace(KEY_UNSAFE, '_') || '_';
}

function severityToken(severity: string): string {
  const token = severity.trim();
  return token === '' ? 'INFO' : formatKey(token).toUpperCase();
}

/** Nanoseconds as a sortable integer; anything that is not a decimal count sorts as 0. */
function nanosKey(nanos: string): bigint {
  return NANOS_PATTERN.test(nanos) ? BigInt(nanos) : 0n;
}

function millisOf(nanos: string): number {
  return Math.min(Number(nanosKey(nanos) / 1_000_000n), MAX_DATE_MS);
}
