/**
 * What ingest limits (INTERFACE.md §5) cut from a span, a log record or a whole run. Each
 * limit is named like its `ingest.limits` key without `_limit`: the label of
 * `paracle_truncations_total` and the keys of a run's `truncated` block.
 */

/** The limits that can cut telemetry, in the order they are reported. */
export const TRUNCATION_LIMITS = [
  'attribute_count',
  'attribute_value_length',
  'attribute_value_depth',
  'event_count',
  'link_count',
  'spans_per_trace',
] as const;

/** One of {@link TRUNCATION_LIMITS}. */
export type TruncationLimit = (typeof TRUNCATION_LIMITS)[number];

/** How many times each limit cut something; absent means never. */
export type TruncationCounts = Partial<Record<TruncationLimit, number>>;

/**
 * A run's `truncated` block: what the limits left out, and the parts of the run a failed
 * write had to leave out, with one sentence saying so.
 */
export interface RunTruncation {
  counts: TruncationCounts;
  /** Parts of the run not written (`span attributes`, `trace.json`...), empty when none. */
  leftOut: string[];
  note: string;
}

/** Adds the counts of `from` into `into` (changed in place) and returns it. */
export function addTruncations(into: TruncationCounts, from: TruncationCounts | undefined): TruncationCounts {
  if (from === undefined) return into;
  for (const limit of TRUNCATION_LIMITS) {
    const n = from[limit];
    if (n !== undefined && n > 0) into[limit] = (into[limit] ?? 0) + n;
  }
  return into;
}

/** True when nothing was cut. */
export function isUntruncated(counts: TruncationCounts | undefined): boolean {
  return counts === undefined || TRUNCATION_LIMITS.every((limit) => (counts[limit] ?? 0) === 0);
}

const NOUNS: Record<TruncationLimit, string> = {
  attribute_count: 'attributes past attribute_count_limit were dropped',
  attribute_value_length: 'values past attribute_value_length_limit were cut',
  attribute_value_depth: 'values nested past attribute_value_depth_limit were emptied',
  event_count: 'events past event_count_limit were dropped',
  link_count: 'links past link_count_limit were dropped',
  spans_per_trace: 'spans past spans_per_trace_limit were refused',
};

/**
 * The `truncated` block of a run cut by `counts` and missing `leftOut` (`why` says what
 * failed), or null when nothing was left out.
 */
export function runTruncation(counts: TruncationCounts, leftOut: readonly string[] = [], why = ''): RunTruncation | null {
  if (isUntruncated(counts) && leftOut.length === 0) return null;
  const parts = TRUNCATION_LIMITS.filter((limit) => (counts[limit] ?? 0) > 0).map((limit) => `${counts[limit]} ${NOUNS[limit]}`);
  if (leftOut.length > 0) parts.push(`${leftOut.join(', ')} could not be written${why === '' ? '' : ` (${why})`} and were left out`);
  return { counts: { ...counts }, leftOut: [...leftOut], note: `ingest limits or a failed write left part of this run out: ${parts.join('; ')}.` };
}
