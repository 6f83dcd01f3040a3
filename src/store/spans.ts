import type { Readable } from 'node:stream';
import { decodeTraces } from '../codec/otlp/index.js';
import { InvalidInputError, nanosToMillis, NotFoundError } from '../lib/index.js';
import { plainObject, type SpanDetail, type SpanLlmRow, type SpanPage, type SpanRow, type TokenUsage } from '../model/index.js';
import { describeSpans, type SpanView } from '../semconv/index.js';
import { CorruptRunFileError, TraceTooLargeError } from './errors.js';
import type { StoredRun } from './stored-run.js';

/** Prices one model call the span did not price itself; null when the model is unknown. */
export type CallPricer = (call: { provider: string | null; model: string | null; usage: TokenUsage }, at: Date) => number | null;

/** The spans of one trace, parsed once and kept while viewed. */
interface ParsedTrace {
  traceId: string | null;
  startMs: number;
  endMs: number;
  views: SpanView[];
  /** Span id to position in `views`. */
  positions: Map<string, number>;
  children: Map<string, number>;
}

/** Largest page of spans. */
export const MAX_SPAN_PAGE = 10_000;
/** The page size when none is asked for. */
export const DEFAULT_SPAN_PAGE = 1_000;
/** Options of {@link TraceViews}. */
export interface TraceViewsOptions {
  /** Spans kept parsed across all cached traces (the one being read always stays). */
  maxSpans?: number;
  /** trace.json is read whole to build the tree; a larger one is refused rather than risk the heap. */
  maxTraceBytes?: number;
}
const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/**
 * Parsed traces of the runs viewed last, so paging through a large trace or opening its
 * spans one by one parses `trace.json` once. Bounded by span count; an entry is used only
 * while the file it came from is unchanged.
 */
export class TraceViews {
  private readonly entries = new Map<string, { stamp: string; trace: ParsedTrace }>();
  private readonly maxSpans: number;
  private readonly maxTraceBytes: number;

  constructor(options: TraceViewsOptions = {}) {
    this.maxSpans = options.maxSpans ?? 200_000;
    this.maxTraceBytes = options.maxTraceBytes ?? 256 * 1024 * 1024;
  }

  /** One page of a run's spans in tree order; pricing applies to LLM calls without a reported cost. */
  async page(run: StoredRun, offset: number, limit: number, price?: CallPricer): Promise<SpanPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SPAN_PAGE) {
      throw new InvalidInputError(`limit must be a whole number from 1 to ${MAX_SPAN_PAGE}`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidInputError('offset must be a whole number');
    const trace = await this.trace(run);
    const end = Math.min(trace.views.length, offset + limit);
    const spans: SpanRow[] = [];
    for (let i = offset; i < end; i++) spans.push(rowOf(trace.views[i]!, trace, price));
    return {
      run_id: run.runId,
      trace_id: trace.traceId,
      started_at: trace.views.length === 0 ? null : new Date(Math.floor(trace.startMs)).toISOString(),
      duration_ms: round(trace.endMs - trace.startMs),
      total: trace.views.length,
      offset,
      next_offset: end < trace.views.length ? end : null,
      spans,
    };
  }

  /** One span with its attributes, events and links; {@link NotFoundError} when the trace lacks it. */
  async detail(run: StoredRun, spanId: string, price?: CallPricer): Promise<SpanDetail> {
    const trace = await this.trace(run);
    const position = trace.positions.get(spanId);
    if (position === undefined) throw new NotFoundError(`run ${run.runId} has no span ${spanId}`);
    const view = trace.views[position]!;
    const { span } = view;
    return {
      ...rowOf(view, trace, price),
      attributes: plainObject(span.attributes),
      resource: plainObject(span.origin.resource.attributes),
      scope: { name: span.origin.scope.name, version: span.origin.scope.version },
      events_list: span.events.map((event) => ({
        name: event.name,
        offset_ms: round(nanosToMillis(event.timeUnixNano) - trace.startMs),
        attributes: plainObject(event.attributes),
      })),
      links: span.links.map((link) => ({ trace_id: link.traceId, span_id: link.spanId, attributes: plainObject(link.attributes) })),
      status_message: span.status.message,
    };
  }

  private async trace(run: StoredRun): Promise<ParsedTrace> {
    const key = `${run.place}:${run.runId}`;
    const stamp = await run.stamp('trace.json');
    const cached = this.entries.get(key);
    if (cached?.stamp === stamp) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.trace;
    }
    const trace = parseTrace(await readBounded(await run.open('trace.json'), run.runId, this.maxTraceBytes), run.runId);
    this.entries.delete(key);
    this.entries.set(key, { stamp, trace });
    this.evict();
    return trace;
  }

  private evict(): void {
    let spans = [...this.entries.values()].reduce((sum, e) => sum + e.trace.views.length, 0);
    for (const [key, entry] of this.entries) {
      // The newest entry stays, however large: it is the one being read.
      if (spans <= this.maxSpans || this.entries.size === 1) break;
      this.entries.delete(key);
      spans -= entry.trace.views.length;
    }
  }
}

function parseTrace(body: Buffer, runId: string): ParsedTrace {
  let spans;
  try {
    spans = decodeTraces(body, 'json').spans;
  } catch (err) {
    throw new CorruptRunFileError(`the trace.json of run ${runId} is not OTLP/JSON`, { cause: err });
  }
  const views = describeSpans(spans);
  const positions = new Map<string, number>();
  const children = new Map<string, number>();
  let startMs = Infinity;
  let endMs = -Infinity;
  views.forEach((view, i) => {
    positions.set(view.span.spanId, i);
    if (view.parentSpanId !== null) children.set(view.parentSpanId, (children.get(view.parentSpanId) ?? 0) + 1);
    startMs = Math.min(startMs, view.startMs);
    endMs = Math.max(endMs, view.endMs, view.startMs);
  });
  return {
    traceId: views[0]?.span.traceId ?? null,
    startMs: views.length === 0 ? 0 : startMs,
    endMs: views.length === 0 ? 0 : endMs,
    views,
    positions,
    children,
  };
}

function rowOf(view: SpanView, trace: ParsedTrace, price?: CallPricer): SpanRow {
  const { span } = view;
  return {
    span_id: span.spanId,
    parent_span_id: view.parentSpanId,
    name: span.name,
    depth: view.depth,
    offset_ms: round(view.startMs - trace.startMs),
    duration_ms: round(Math.max(0, view.endMs - view.startMs)),
    role: view.role,
    kind: SPAN_KINDS[span.kind] ?? 'unspecified',
    status: view.errored ? 'error' : span.status.code === 1 ? 'ok' : 'unset',
    error: view.error,
    error_origin: view.errorOrigin,
    children: trace.children.get(span.spanId) ?? 0,
    events: span.events.length,
    llm: llmRow(view, price),
  };
}

function llmRow(view: SpanView, price?: CallPricer): SpanLlmRow | null {
  const { llm } = view;
  if (llm === null) return null;
  const { usage } = llm;
  let cost = llm.reportedCostUsd;
  let source: SpanLlmRow['cost_source'] = cost === null ? null : 'reported';
  if (cost === null && price && usage.input + usage.output > 0) {
    cost = price({ provider: llm.provider, model: llm.model, usage }, new Date(Math.floor(view.startMs)));
    source = cost === null ? null : 'estimated';
  }
  return {
    provider: llm.provider,
    model: llm.model,
    tokens_input: usage.input,
    tokens_output: usage.output,
    tokens_cache_read: usage.cacheRead,
    tokens_cache_write: usage.cacheWrite,
    tokens_reasoning: usage.reasoning,
    cost_usd: cost,
    cost_source: source,
    counted: llm.counted,
  };
}

/** A stream's bytes, refused past `maxBytes`. */
async function readBounded(stream: Readable, runId: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new TraceTooLargeError(runId, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Microsecond precision: what span timestamps carry at epoch scale. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
