/**
 * What readers of the store are given as JSON (the API's answers, the web UI's input): plain
 * shapes with snake_case fields, as they go over the wire.
 */
import type { PlainValue } from './attributes.js';

/** Figures of one group of runs (`GET /api/v1/stats` and `runs stats --json`). */
export interface StatsGroup {
  /** The agent, workflow, model, status, project or session; null for runs without one, `*` without `--by`. */
  key: string | null;
  count: number;
  failures: number;
  tokens: number;
  cost_usd: number;
  /** Nearest-rank percentiles of the finished runs' durations; null when none finished. */
  p50_duration_seconds: number | null;
  p95_duration_seconds: number | null;
}

/** One group's figures per bucket (`GET /api/v1/stats/series`), each array as long as `buckets`. */
export interface SeriesLine {
  /** The agent, workflow, model, status or project (`*` without `by`); null for runs without one. */
  key: string | null;
  /** Set on the line that sums every group past the largest MAX_SERIES (10). */
  other?: true;
  count: number[];
  failures: number[];
  tokens: number[];
  cost_usd: number[];
  /** Null in a bucket where no run finished. */
  p50_duration_seconds: (number | null)[];
  p95_duration_seconds: (number | null)[];
}

/** Stats over time: columns ready for a chart. */
export interface StatsSeries {
  by: string | null;
  since: string;
  until: string;
  step_seconds: number;
  /** Start of each bucket, epoch seconds; buckets are aligned to multiples of the step. */
  buckets: number[];
  /** Largest groups first (by run count, then cost). */
  series: SeriesLine[];
}

/** One span as a waterfall draws it (`GET /api/v1/runs/{run_id}/spans`). */
export interface SpanRow {
  span_id: string;
  /** Null for a span whose parent is not in the trace. */
  parent_span_id: string | null;
  name: string;
  /** Distance from the top of its tree: 0 for roots. */
  depth: number;
  /** Start, in milliseconds after the trace's earliest span started. */
  offset_ms: number;
  duration_ms: number;
  /** The span's role by CONVENTIONS.md §2: llm, agent, tool, chain, ... other. */
  role: string;
  /** OTLP span kind: internal, server, client, producer, consumer or unspecified. */
  kind: string;
  /** `error` when errored by any rule of CONVENTIONS.md §9; else the OTLP status. */
  status: 'ok' | 'error' | 'unset';
  /** Why it failed, when it says; null otherwise. */
  error: string | null;
  /** True where a failure started (errored, no errored descendant). */
  error_origin: boolean;
  /** Number of children in the trace. */
  children: number;
  events: number;
  llm: SpanLlmRow | null;
}

/** The model call of a span. */
export interface SpanLlmRow {
  provider: string | null;
  model: string | null;
  tokens_input: number;
  tokens_output: number;
  tokens_cache_read: number;
  tokens_cache_write: number;
  tokens_reasoning: number;
  /** Reported by the span, else estimated by the price book; null when neither knows. */
  cost_usd: number | null;
  cost_source: 'reported' | 'estimated' | null;
  /** True when the span's tokens count in the run's totals. */
  counted: boolean;
}

/** One page of a run's spans, in tree order. */
export interface SpanPage {
  run_id: string;
  trace_id: string | null;
  /** RFC 3339 start of the earliest span; null when the trace has no span. */
  started_at: string | null;
  /** From the earliest start to the latest end. */
  duration_ms: number;
  /** Spans in the whole trace. */
  total: number;
  offset: number;
  /** Pass as `offset` for the next page; null on the last one. */
  next_offset: number | null;
  spans: SpanRow[];
}

/** Everything one span holds (`GET /api/v1/runs/{run_id}/spans/{span_id}`). */
export interface SpanDetail extends SpanRow {
  attributes: Record<string, PlainValue>;
  resource: Record<string, PlainValue>;
  scope: { name: string; version: string };
  events_list: { name: string; offset_ms: number; attributes: Record<string, PlainValue> }[];
  links: { trace_id: string; span_id: string; attributes: Record<string, PlainValue> }[];
  status_message: string;
}

