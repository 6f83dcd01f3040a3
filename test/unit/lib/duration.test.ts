import { describe, expect, it } from 'vitest';
import { InvalidInputError, parseDurationMs, parseTimeBound } from '../../../src/lib/index.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);

describe('parseDurationMs', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1.5h', 5_400_000],
  ])('reads %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '7', 'd', '7y', '-7d', '7 d', '7dd'])('refuses %j', (text) => expect(parseDurationMs(text)).toBeNull());
});

describe('parseTimeBound', () => {
  it('counts a duration back from now', () => expect(parseTimeBound('7d', NOW)).toBe(NOW - 7 * 86_400_000));

  it('reads ISO-8601 times and dates', () => {
    expect(parseTimeBound('2026-01-03T04:05:06Z', NOW)).toBe(Date.UTC(2026, 0, 3, 4, 5, 6));
    expect(parseTimeBound('2026-01-03', NOW)).toBe(Date.UTC(2026, 0, 3));
    expect(parseTimeBound('2026-01-03T04:05:06+02:00', NOW)).toBe(Date.UTC(2026, 0, 3, 2, 5, 6));
  });

  it.each(['yesterday', 'March 7', '7y', '2026-13-45'])('refuses %j with a usage error', (text) => {
    expect(() => parseTimeBound(text, NOW, '--until')).toThrow(InvalidInputError);
    expect(() => parseTimeBound(text, NOW, '--until')).toThrow(/--until/);
  });
});
