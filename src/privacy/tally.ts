/** Redactions counted per kind (never the values): what one item, batch or run had replaced. */
export class RedactionTally {
  private readonly byKind = new Map<string, number>();
  private sum = 0;

  /** Counts `count` replacements of `kind`. */
  add(kind: string, count = 1): void {
    if (count <= 0) return;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + count);
    this.sum += count;
  }

  /** Adds every count of `other`. */
  merge(other: RedactionTally): void {
    for (const [kind, count] of other.byKind) this.add(kind, count);
  }

  /** Replacements of every kind together. */
  get total(): number {
    return this.sum;
  }

  /** `[kind, count]` pairs, in the order the kinds were first counted. */
  entries(): IterableIterator<[string, number]> {
    return this.byKind.entries();
  }

  /** Forgets every count (the tally is reused for the next item). */
  clear(): void {
    this.byKind.clear();
    this.sum = 0;
  }
}
