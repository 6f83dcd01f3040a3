/**
 * A bounded set of recently seen keys: past `capacity`, the oldest insertion is forgotten.
 * The assembler remembers which traces it already handed on as final, so that a late span
 * is known to belong to a finished trace (and need not wait for a root that will not come).
 */
export class RecentSet {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      // A Set iterates in insertion order, so the first key is the oldest.
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}
