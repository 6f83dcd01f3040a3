/**
 * A bounded map of recently finished traces to their span counts: past `capacity`, the
 * oldest insertion is forgotten. The assembler remembers which traces it already handed on
 * as final, so that a late span is known to belong to a finished trace (and need not wait
 * for a root that will not come), and how many spans they had, for the per-trace limit.
 */
export class RecentSet {
  private readonly keys = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** The span count remembered for `key`, 0 when none. */
  count(key: string): number {
    return this.keys.get(key) ?? 0;
  }

  add(key: string, count = 0): void {
    this.keys.delete(key);
    this.keys.set(key, count);
    if (this.keys.size > this.capacity) {
      // A Map iterates in insertion order, so the first key is the oldest.
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
