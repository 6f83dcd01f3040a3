import type { Span } from '../../model/index.js';

/**
 * Merges late spans into the spans stored before; a span already stored (same span id) is
 * kept as stored, so a retried export never duplicates or rewrites a span.
 */
export function mergeSpans(stored: readonly Span[], late: readonly Span[]): Span[] {
  const seen = new Set(stored.map((s) => s.spanId));
  const merged = [...stored];
  for (const span of late) {
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    merged.push(span);
  }
  return merged;
}
