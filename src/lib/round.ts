/**
 * Rounds to nine decimals. Sums of decimal prices pick up binary noise (0.1 + 0.2); a
 * nano-dollar is below any price, so money sums are rounded with this before they are kept.
 */
export function roundNano(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
