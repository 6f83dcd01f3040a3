import { useEffect, useState } from 'preact/hooks';
import { getJson, seg } from '../api';
import { formatCost, formatMs, formatTokens } from '../format';
import { useLoad } from '../hooks';
import type { SpanPage, SpanRow } from '../types';
import { ErrorBox, Loading } from './common';
import { SpanDetailPanel } from './span-detail';
import { Waterfall } from './waterfall';

/** Spans asked for per request (the API's largest page). */
const PAGE = 10_000;
/** Spans drawn at most; a trace beyond this (past the default ingest limit) is cut, and says so. */
const MAX_SPANS = 200_000;

interface Trace {
  page: SpanPage;
  rows: SpanRow[];
}

/** A run's trace: the waterfall, totals of its model calls, and the selected span's details. */
export function TraceView({ runId, version, live, showSpan }: { runId: string; version: string; live: boolean; showSpan: string | null }) {
  const [trace] = useLoad((signal) => loadTrace(runId, signal), [runId], version);
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    if (showSpan !== null) {
      setSelected(showSpan);
      document.getElementById('trace')?.scrollIntoView({ block: 'start' });
    }
  }, [showSpan]);
  useEffect(() => {
    if (trace.state === 'done') performance.mark('paracle:waterfall-ready', { detail: { spans: trace.value.rows.length } });
  }, [trace]);

  if (trace.state === 'loading') return <Loading what="the trace" />;
  if (trace.state === 'error') return <ErrorBox error={trace.error} />;
  const { page, rows } = trace.value;
  if (rows.length === 0) return <p class="muted">{live ? 'No span has arrived yet.' : 'The trace holds no span.'}</p>;
  const calls = rows.filter((row) => row.llm !== null && row.role === 'llm');
  const tokens = calls.reduce((sum, row) => sum + (row.llm?.tokens_input ?? 0) + (row.llm?.tokens_output ?? 0), 0);
  const cost = calls.reduce((sum, row) => sum + (row.llm?.cost_usd ?? 0), 0);
  const errors = rows.filter((row) => row.error_origin).length;
  return (
    <div class="trace">
      <p class="trace-summary">
        <strong data-testid="span-count" data-count={page.total}>
          {page.total.toLocaleString()} span{page.total === 1 ? '' : 's'}
        </strong>{' '}
        over {formatMs(page.duration_ms)} · {calls.length} LLM call{calls.length === 1 ? '' : 's'} · {formatTokens(tokens)} tokens · {formatCost(cost)}
        {errors > 0 ? <span class="error-text"> · {errors} error{errors === 1 ? '' : 's'}</span> : null}
        {rows.length < page.total ? <span class="muted"> · showing the first {rows.length.toLocaleString()}</span> : null}
      </p>
      <Waterfall rows={rows} durationMs={page.duration_ms} selected={selected} onSelect={setSelected} />
      {selected !== null ? <SpanDetailPanel runId={runId} spanId={selected} /> : <p class="muted">Select a span (click, or focus the waterfall and use the arrow keys) to see its attributes and events.</p>}
    </div>
  );
}

/** Every span of the trace in tree order, page by page. */
async function loadTrace(runId: string, signal: AbortSignal): Promise<Trace> {
  const rows: SpanRow[] = [];
  let offset: number | null = 0;
  let page: SpanPage | undefined;
  while (offset !== null && rows.length < MAX_SPANS) {
    page = await getJson<SpanPage>(`/api/v1/runs/${seg(runId)}/spans?offset=${offset}&limit=${PAGE}`, signal);
    for (const row of page.spans) rows.push(row);
    offset = page.next_offset;
  }
  return { page: page!, rows };
}
