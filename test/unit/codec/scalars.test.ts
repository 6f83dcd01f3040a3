import { describe, expect, it } from 'vitest';
import { probeSignal } from '../../../src/codec/otlp/probe.js';
import { signedToDecimal, uint64ToDecimal, unsignedToDecimal } from '../../../src/codec/otlp/scalars.js';

function split(value: bigint): { high: number; low: number; unsigned: boolean } {
  const bits = BigInt.asUintN(64, value);
  return { high: Number(bits >> 32n) | 0, low: Number(bits & 0xffffffffn) | 0, unsigned: value >= 0n };
}

describe('64-bit integers to decimal text', () => {
  const edges = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 0x1fffffn << 32n, 0x200000n << 32n,
    1767695400000123456n, 2n ** 63n, 2n ** 64n - 1n, 10n ** 19n, 10n ** 19n - 1n];

  it('converts unsigned values exactly, at the edges and at random', () => {
    const random = Array.from({ length: 20000 }, () =>
      (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32)));
    for (const v of [...edges, ...random]) {
      const { high, low } = split(v);
      expect(uint64ToDecimal(high >>> 0, low >>> 0)).toBe(v.toString());
      expect(unsignedToDecimal({ high, low, unsigned: true })).toBe(v.toString());
    }
  });

  it('converts signed values exactly', () => {
    for (const v of [0n, -1n, 42n, -42n, -(2n ** 53n), 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 32n)]) {
      expect(signedToDecimal(split(v))).toBe(v.toString());
    }
  });
});

describe('probeSignal', () => {
  it('says unknown for empty or malformed input rather than guessing', () => {
    expect(probeSignal(new Uint8Array(0))).toBe('unknown');
    expect(probeSignal(Uint8Array.from([0x0a, 0x7f, 0x01]))).toBe('unknown');
    expect(probeSignal(Uint8Array.from([0xff, 0xff, 0xff]))).toBe('unknown');
  });
});
