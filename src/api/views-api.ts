import { DEFAULT_SPAN_PAGE, MAX_BUCKETS, MAX_SERIES, MAX_SPAN_PAGE, STATS_DIMENSIONS } from '../store/index.js';
import { jsonContent, type SchemaObject } from './openapi.js';
import { seriesQueryFrom, spanPageFrom } from './query.js';
import { sendJson } from './respond.js';
import type { Route } from './router.js';
import { RUN_FILTERS, scoped, type RunsApiOptions } from './runs-api.js';

const GET = ['GET', 'HEAD'] as const;
const nullable = (type: string): SchemaObject => ({ type: [type, 'null'] });
const counts = { type: 'array', items: { type: 'number' } };
const percentiles = { type: 'array', items: nullable('number') };

// The fields of one span as a waterfall draws it (model/views.ts SpanRow).
const SPAN_ROW: SchemaObject = {
  type: 'object',
  required: ['span_id', 'parent_span_id', 'name', 'depth', 'offset_ms', 'duration_ms', 'role', 'kind', 'status', 'llm'],
  properties: {
    span_id: { type: 'string' },
    parent_span_id: { ...nullable('string'), description: 'null for a span whose parent is not in the trace' },
    name: { type: 'string' },
    depth: { type: 'integer', description: '0 for roots' },
    offset_ms: { type: 'number', description: "start, after the trace's earliest span started" },
    duration_ms: { type: 'number' },
    role: { type: 'string', description: 'llm, agent, tool, chain ... other (docs/mapping.md)' },
    kind: { enum: ['internal', 'server', 'client', 'producer', 'consumer', 'unspecified'] },
    status: { enum: ['ok', 'error', 'unset'], description: 'error when errored by any mapping rule' },
    error: nullable('string'),
    error_origin: { type: 'boolean', description: 'errored with no errored descendant: where a failure started' },
    children: { type: 'integer' },
    events: { type: 'integer' },
    llm: {
      description: 'the model call of the span; null for other spans',
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            provider: nullable('string'),
            model: nullable('string'),
            tokens_input: { type: 'integer' },
            tokens_output: { type: 'integer' },
            tokens_cache_read: { type: 'integer' },
            tokens_cache_write: { type: 'integer' },
            tokens_reasoning: { type: 'integer' },
            cost_usd: nullable('number'),
            cost_source: { enum: ['reported', 'estimated', null] },
            counted: { type: 'boolean', description: "its tokens count in the run's totals" },
          },
        },
      ],
    },
  },
};

/**
 * The routes shaped for drawing rather than for files (the web UI's, open to any client): a
 * run's spans as a waterfall, one span in full, and stats over time as chart columns.
 */
export function viewRoutes(options: RunsApiOptions): Route[] {
  const { store } = options;
  const now = options.now ?? Date.now;
  return [
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/spans',
      role: 'analyst',
      runParam: 'run_id',
      doc: {
        summary: "the run's spans in tree order (parents first, siblings by start), shaped for a waterfall",
        query: {
          offset: { description: 'spans to skip (0)', schema: { type: 'integer', minimum: 0 } },
          limit: { description: `spans per page (default ${DEFAULT_SPAN_PAGE}, at most ${MAX_SPAN_PAGE})`, schema: { type: 'integer', minimum: 1, maximum: MAX_SPAN_PAGE } },
        },
        responses: {
          200: {
            description: 'one page of spans',
            content: jsonContent({
              type: 'object',
              required: ['run_id', 'trace_id', 'started_at', 'duration_ms', 'total', 'offset', 'next_offset', 'spans'],
              properties: {
                run_id: { type: 'string' },
                trace_id: nullable('string'),
                started_at: { ...nullable('string'), format: 'date-time' },
                duration_ms: { type: 'number', description: 'from the earliest start to the latest end' },
                total: { type: 'integer', description: 'spans in the whole trace' },
                offset: { type: 'integer' },
                next_offset: { ...nullable('integer'), description: 'null on the last page' },
                spans: { type: 'array', items: SPAN_ROW },
              },
            }),
          },
          413: { description: 'trace.json is too large for a span view (payload_too_large): stream /trace instead', content: jsonContent('Error') },
        },
      },
      handle: async ({ res, params, query }) => sendJson(res, 200, await store.spans(params.run_id!, spanPageFrom(query), options.priceCall)),
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/spans/{span_id}',
      role: 'analyst',
      runParam: 'run_id',
      doc: {
        summary: 'one span in full: its waterfall row with attributes, resource, scope, events and links',
        params: { span_id: 'a span id of the run, 16 lowercase hex characters' },
        responses: {
          200: {
            description: 'the span',
            content: jsonContent({
              allOf: [
                SPAN_ROW,
                {
                  type: 'object',
                  properties: {
                    attributes: { type: 'object' },
                    resource: { type: 'object' },
                    scope: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
                    events_list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, offset_ms: { type: 'number' }, attributes: { type: 'object' } } } },
                    links: { type: 'array', items: { type: 'object', properties: { trace_id: { type: 'string' }, span_id: { type: 'string' }, attributes: { type: 'object' } } } },
                    status_message: { type: 'string' },
                  },
                },
              ],
            }),
          },
        },
      },
      handle: async ({ res, params }) => sendJson(res, 200, await store.span(params.run_id!, params.span_id!, options.priceCall)),
    },
    {
      methods: GET,
      path: '/api/v1/stats/series',
      role: 'viewer',
      doc: {
        summary: 'the figures of /api/v1/stats per group and time bucket, as columns for a chart',
        query: {
          by: { description: 'group by', schema: { enum: [...STATS_DIMENSIONS] } },
          since: { description: `${RUN_FILTERS.since!.description} (default 7d)` },
          until: RUN_FILTERS.until!,
          step: {
            description: `bucket width (5m, 1h, 1d); by default the smallest of 1m, 5m, 15m, 1h, 3h, 6h, 12h, 1d, 1w giving at most 120 buckets; at most ${MAX_BUCKETS} buckets are served`,
          },
        },
        responses: {
          200: {
            description: `buckets aligned to multiples of the step; the ${MAX_SERIES} largest groups by run count get a line each, the rest one line marked other`,
            content: jsonContent({
              type: 'object',
              required: ['by', 'since', 'until', 'step_seconds', 'buckets', 'series'],
              properties: {
                by: nullable('string'),
                since: { type: 'string', format: 'date-time' },
                until: { type: 'string', format: 'date-time' },
                step_seconds: { type: 'integer' },
                buckets: { type: 'array', items: { type: 'integer' }, description: 'start of each bucket, epoch seconds' },
                series: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      key: nullable('string'),
                      other: { const: true },
                      count: counts,
                      failures: counts,
                      tokens: counts,
                      cost_usd: counts,
                      p50_duration_seconds: percentiles,
                      p95_duration_seconds: percentiles,
                    },
                  },
                },
              },
            }),
          },
        },
      },
      handle: async ({ res, query, principal }) => sendJson(res, 200, store.statsSeries({ ...seriesQueryFrom(query, now()), ...scoped(principal) }, now())),
    },
  ];
}
