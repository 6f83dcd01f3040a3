import { InvalidInputError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The point in time a `--since` value names (INTERFACE.md §1), as epoch milliseconds: a
 * duration back from `nowMs` (`90s`, `30m`, `12h`, `7d`, `2w`) or an ISO-8601 time
 * (`2026-01-06`, `2026-01-06T10:30:00Z`). Throws {@link InvalidInputError} otherwise.
 */
export function parseSince(text: string, nowMs: number): number {
  const duration = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (duration) return nowMs - Number(duration[1]) * (UNIT_MS[duration[2] as string] as number);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InvalidInputError(`"${text}" is neither a duration like 7d (s, m, h, d, w) nor an ISO-8601 time`);
}
