/** The value reported in place of a label value past its bound (INTERFACE.md §3). */
export const OTHER_LABEL = 'other';

/**
 * Keeps one label's values bounded: the first `max` distinct values are reported as they
 * are, later new ones as `other`, so a sender inventing ids cannot grow the number of series
 * without limit. The empty value (no workflow, unknown model) never counts against the bound.
 */
export class LabelBound {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** The value to report for `raw`. */
  value(raw: string): string {
    if (raw === '' || this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(raw);
    return raw;
  }
}
