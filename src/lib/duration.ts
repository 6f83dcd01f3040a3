import { InvalidInputError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d+(?:\.\d+)?)([smhdw])$/;
// Date.parse accepts far more than ISO-8601 ("March 7"); only ISO-shaped text is taken.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A duration like `90s`, `15m`, `12h`, `7d` or `2w` in milliseconds; null when `text` is not
 * one (units are s, m, h, d, w; a decimal count such as `1.5h` is allowed).
 */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const [, count, unit] = match;
  return Number(count) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
}

/**
 * The point in time meant by a `--since`/`--until` value, in epoch milliseconds: a duration
 * counts back from `nowMs` (`7d` = seven days ago), anything else must be an ISO-8601 date
 * or time (a date alone is midnight UTC). Throws {@link InvalidInputError} otherwise.
 */
export function parseTimeBound(text: string, nowMs: number, flag = '--since'): number {
  const duration = parseDurationMs(text);
  if (duration !== null) return nowMs - duration;
  const trimmed = text.trim();
  const ms = ISO_TIME.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`${flag} "${text}" is neither a duration (30s, 15m, 12h, 7d, 2w) nor an ISO-8601 time`);
  }
  return ms;
}
