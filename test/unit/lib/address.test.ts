import { describe, expect, it } from 'vitest';
import { formatHostPort, isLoopback, parseHostPort, tryParseHostPort } from '../../../src/lib/index.js';

describe('tryParseHostPort', () => {
  it.each([
    ['127.0.0.1:4318', { host: '127.0.0.1', port: 4318 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
    ['[2001:db8::1]:80', { host: '2001:db8::1', port: 80 }],
  ])('splits %s', (address, expected) => {
    expect(tryParseHostPort(address)).toEqual(expected);
  });

  it.each(['localhost', ':4318', '::1:4318', '[::1]', '[nothost]:80', '[]:80', 'h:65536', 'h:-1', 'h:80x', 'a b:80', 'h:123456'])(
    'rejects %j',
    (address) => {
      expect(tryParseHostPort(address)).toBeNull();
    },
  );
});

describe('parseHostPort', () => {
  it('throws a usage error naming the bad text', () => {
    expect(() => parseHostPort('nonsense')).toThrow(/"nonsense" is not a HOST:PORT address/);
  });
});

describe('formatHostPort', () => {
  it('round-trips IPv4 and bracketed IPv6', () => {
    for (const text of ['127.0.0.1:4318', '[::1]:9464']) expect(formatHostPort(parseHostPort(text))).toBe(text);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['::', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
