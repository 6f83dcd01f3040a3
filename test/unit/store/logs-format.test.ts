import { describe, expect, it } from 'vitest';
import { formatLogLine, renderLogs } from '../../../src/store/logs-format.js';
import { logLine } from './records.js';

describe('formatLogLine', () => {
  it('writes the contract format', () => {
    const line = logLine(123, { attributes: [['tool', 'search'], ['count', '3']] });
    expect(formatLogLine(line)).toBe(
      '2026-01-06T10:30:00.123Z INFO span=chat trace_id=4bf92f3577b34da6a3ce929d0e0e4736 ' +
        'span_id=00f067aa0ba902b7 msg="hello" tool=search count=3',
    );
  });

  it('truncates nanoseconds to milliseconds', () => {
    const line = logLine(0, { timeUnixNano: '1767695400123999999' });
    expect(formatLogLine(line).startsWith('2026-01-06T10:30:00.123Z ')).toBe(true);
  });

  it('quotes values with whitespace, quotes, = or control characters, and empty ones', () => {
    const line = logLine(0, {
      spanName: 'invoke agent',
      attributes: [['a', 'x y'], ['b', 'say "hi"'], ['c', 'k=v'], ['d', ''], ['e', 'tab\there'], ['f', 'plain']],
    });
    expect(formatLogLine(line)).toContain('span="invoke agent" trace_id=');
    expect(formatLogLine(line)).toContain('a="x y" b="say \\"hi\\"" c="k=v" d="" e="tab\\there" f=plain');
  });

  it('never breaks the line', () => {
    const line = logLine(0, {
      message: 'line1\nline2\r\nline3\u2028line4\u0085end',
      attributes: [['stack', 'at a\n  at b'], ['del', 'x\u007fy']],
    });
    const text = formatLogLine(line);
    expect(text).not.toMatch(/[\n\r\u2028\u2029\u0085\u007f]/);
    expect(text).toContain('msg="line1\\nline2\\r\\nline3\\u2028line4\\u0085end"');
    expect(text).toContain('stack="at a\\n  at b" del="x\\u007fy"');
  });

  it('always quotes msg, even when empty', () => {
    expect(formatLogLine(logLine(0, { message: '' })).endsWith(' msg=""')).toBe(true);
  });

  it('keeps keys as bare tokens and severity as one upper-case word', () => {
    const line = logLine(0, { severity: 'warn', attributes: [['my key=1', 'v'], ['', 'w']] });
    const text = formatLogLine(line);
    expect(text).toContain(' WARN span=');
    expect(text).toContain(' my_key_1=v _=w');
    expect(formatLogLine(logLine(0, { severity: '  ' }))).toContain(' INFO span=');
  });

  it('writes an unreadable time as the epoch instead of failing', () => {
    expect(formatLogLine(logLine(0, { timeUnixNano: 'soon' })).startsWith('1970-01-01T00:00:00.000Z ')).toBe(true);
    expect(formatLogLine(logLine(0, { timeUnixNano: '9'.repeat(30) })).startsWith('+275760-09-13')).toBe(true);
  });
});

describe('renderLogs', () => {
  it('is empty for no lines', () => {
    expect(renderLogs([])).toBe('');
  });

  it('sorts by time, keeps ties in order and ends with a newline', () => {
    const text = renderLogs([
      logLine(30, { message: 'c' }),
      logLine(10, { message: 'a1' }),
      logLine(10, { message: 'a2' }),
      logLine(20, { message: 'b' }),
    ]);
    const messages = text.split('\n').map((line) => /msg="([^"]*)"/.exec(line)?.[1]);
    expect(messages).toEqual(['a1', 'a2', 'b', 'c', undefined]);
    expect(text.endsWith('"c"\n')).toBe(true);
  });

  it('orders nanosecond times of different length numerically', () => {
    const text = renderLogs([
      logLine(0, { timeUnixNano: '10000000000', message: 'late' }),
      logLine(0, { timeUnixNano: '9000000000', message: 'early' }),
    ]);
    expect(text.indexOf('early')).toBeLessThan(text.indexOf('late'));
  });
});
