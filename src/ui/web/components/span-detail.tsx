import { getJson, seg } from '../api';
import { formatCost, formatMs, formatTokens } from '../format';
import { useLoad } from '../hooks';
import type { PlainValue, SpanDetail } from '../types';
import { ErrorBox, Field, KeyValueTable, Loading } from './common';
import { JsonView } from './json-view';

/** Everything one span holds: timing, status, model call, attributes, events, resource. */
export function SpanDetailPanel({ runId, spanId }: { runId: string; spanId: string }) {
  const [detail] = useLoad((signal) => getJson<SpanDetail>(`/api/v1/runs/${seg(runId)}/spans/${seg(spanId)}`, signal), [runId, spanId]);
  if (detail.state === 'loading') return <Loading what="the span" />;
  if (detail.state === 'error') return <ErrorBox error={detail.error} />;
  const span = detail.value;
  const llm = span.llm;
  return (
    <div class="span-detail" aria-live="polite" data-testid="span-detail">
      <h3>
        {span.name} <span class="muted mono">{span.span_id}</span>
      </h3>
      <dl class="fields">
        <Field label="Role">{span.role}</Field>
        <Field label="Kind">{span.kind}</Field>
        <Field label="Starts at">+{formatMs(span.offset_ms)}</Field>
        <Field label="Duration">{formatMs(span.duration_ms)}</Field>
        <Field label="Status">{span.status}{span.status_message ? `: ${span.status_message}` : ''}</Field>
        {span.error ? <Field label="Error">{span.error}</Field> : null}
        {llm ? (
          <>
            <Field label="Model">{[llm.provider, llm.model].filter(Boolean).join(' / ') || '–'}</Field>
            <Field label="Tokens in / out">
              {formatTokens(llm.tokens_input)} / {formatTokens(llm.tokens_output)}
              {llm.tokens_cache_read > 0 ? ` (cache read ${formatTokens(llm.tokens_cache_read)})` : ''}
              {llm.tokens_reasoning > 0 ? ` (reasoning ${formatTokens(llm.tokens_reasoning)})` : ''}
            </Field>
            <Field label="Cost">
              {formatCost(llm.cost_usd)} {llm.cost_source ? <span class="muted">({llm.cost_source})</span> : null}
            </Field>
            <Field label="Counted in run totals">{llm.counted ? 'yes' : 'no (an aggregate or a duplicate)'}</Field>
          </>
        ) : null}
        <Field label="Scope">{span.scope.name} {span.scope.version}</Field>
      </dl>
      <h4>Attributes</h4>
      <Attributes values={span.attributes} />
      {span.events_list.length > 0 ? (
        <>
          <h4>Events</h4>
          <ol class="events">
            {span.events_list.map((event, i) => (
              <li key={i}>
                <strong>{event.name}</strong> <span class="muted">+{formatMs(event.offset_ms)}</span>
                <Attributes values={event.attributes} />
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {span.links.length > 0 ? (
        <>
          <h4>Links</h4>
          <ul>
            {span.links.map((link, i) => (
              <li key={i} class="mono">
                {link.trace_id} / {link.span_id}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <details>
        <summary>Resource</summary>
        <Attributes values={span.resource} />
      </details>
    </div>
  );
}

/** Attributes as a two-column table; structured values and JSON text as trees. */
function Attributes({ values }: { values: Record<string, PlainValue> }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p class="muted">none</p>;
  return <KeyValueTable entries={entries} render={(value) => <Value value={value as PlainValue} />} />;
}

function Value({ value }: { value: PlainValue }) {
  const structured = typeof value === 'object' && value !== null ? value : parsedJson(value);
  if (structured !== undefined) return <JsonView value={structured} openDepth={1} />;
  return <span class="mono attr-value">{String(value)}</span>;
}

/** A string holding a JSON object or array (prompts, messages, tool arguments), parsed. */
function parsedJson(value: PlainValue): PlainValue | undefined {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return undefined;
  try {
    return JSON.parse(value) as PlainValue;
  } catch {
    return undefined;
  }
}
