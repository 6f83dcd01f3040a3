/**
 * Histogram buckets, in seconds.
 *
 * Agent and workflow runs (and workflow steps) last from a fraction of a second (one cached
 * LLM call) to about an hour (a long coding or research session): the buckets are roughly
 * logarithmic from 100 ms to one hour, so p50/p95/p99 stay meaningful at both ends; a run
 * over an hour only lands in `+Inf`.
 */
export const RUN_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** Writing one run directory: milliseconds normally, seconds on a slow or busy disk. */
export const MATERIALIZE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Maintenance jobs walk the store: from a few milliseconds to many minutes on a large one. */
export const MAINTENANCE_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800];
