import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, withQuery } from '../api';
import { ErrorBox, Loading, SelectField, StatusBadge, TableHead } from '../components/common';
import { formatAgo, formatCost, formatMs, formatTime, formatTokens, shortId } from '../format';
import { useLoad, usePolling } from '../hooks';
import { navigate, type Location } from '../router';
import { costOf, elapsedMs, isLive, nameOf, subjectOf, tokensOf } from '../run-fields';
import type { RunPage, StatsGroup } from '../types';

/** The filters of `paracle runs search`, named as the API and the page's address name them. */
const FILTERS = ['kind', 'agent', 'workflow', 'status', 'since', 'until', 'model', 'session', 'text'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Partial<Record<Filter, string>>;
const TEXT_FILTERS: readonly Filter[] = ['agent', 'workflow', 'model', 'session', 'text', 'since', 'until'];
/** Runs per page. */
const PAGE_SIZE = 50;
/** How often the page asks again while it shows the newest runs or running ones. */
const LIVE_MS = 2000;
/** Typing pauses this long before the list follows. */
const TYPING_MS = 400;

/**
 * `/` and `/runs?kind&agent&workflow&status&since&until&model&session&text&cursor`: runs,
 * newest first, filtered as `runs search` filters; the address always holds the filters, so a
 * view can be shared. Live: the newest page and any page with running runs refresh themselves.
 */
export function RunsPage({ location }: { location: Location }) {
  const filters = filtersOf(location.query);
  const cursor = location.query.get('cursor');
  const key = JSON.stringify([filters, cursor]);
  const [page, reload] = useLoad(
    (signal) => getJson<RunPage>(withQuery('/api/v1/runs', { ...filters, cursor, limit: PAGE_SIZE }), signal),
    [key],
  );
  const live = page.state === 'done' && (cursor === null || page.value.runs.some(isLive));
  usePolling(async () => reload(), LIVE_MS, live);
  const marked = useRef(false);
  useEffect(() => {
    document.title = 'Runs · Paracle';
    if (page.state === 'done' && !marked.current) {
      marked.current = true;
      performance.mark('paracle:runs-ready', { detail: { runs: page.value.runs.length } });
    }
  }, [page]);

  const apply = (next: Filters, replace = false): void => navigate(withQuery('/runs', next), { replace });
  return (
    <section class="runs-page">
      <header class="page-head">
        <h1>Runs</h1>
        {live ? (
          <span class="live" title={`Refreshed every ${LIVE_MS / 1000} s`}>
            <span class="pulse" aria-hidden="true" /> live
          </span>
        ) : null}
      </header>
      <FilterForm filters={filters} onApply={apply} />
      {page.state === 'loading' ? <Loading what="runs" /> : null}
      {page.state === 'error' ? <ErrorBox error={page.error} /> : null}
      {page.state === 'done' ? (
        <>
          <RunsTable page={page.value} />
          <nav class="pager" aria-label="Pages">
            {cursor !== null ? (
              <a class="button" href={withQuery('/runs', filters)}>
                ← Newest
              </a>
            ) : null}
            {page.value.next_cursor !== null ? (
              <a class="button" rel="next" href={withQuery('/runs', { ...filters, cursor: page.value.next_cursor })}>
                Older →
              </a>
            ) : null}
          </nav>
        </>
      ) : null}
    </section>
  );
}

function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

function FilterForm({ filters, onApply }: { filters: Filters; onApply(next: Filters, replace?: boolean): void }) {
  const [draft, setDraft] = useState<Filters>(filters);
  const [suggest, setSuggest] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const text = useRef<HTMLInputElement>(null);
  const applied = JSON.stringify(filters);
  // Back and forward change the address: the form follows it.
  useEffect(() => setDraft(filters), [applied]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const typing = (event.target as Element | null)?.closest?.('input, select, textarea');
      if (event.key === '/' && !typing) {
        event.preventDefault();
        text.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const set = (name: Filter, value: string, immediate: boolean): void => {
    const next = { ...draft, [name]: value };
    if (value === '') delete next[name];
    setDraft(next);
    window.clearTimeout(timer.current);
    if (immediate) onApply(next);
    else timer.current = window.setTimeout(() => onApply(next, true), TYPING_MS);
  };
  const input = (name: Filter, label: string, placeholder: string, list?: string) => (
    <label>
      {label}
      <input
        ref={name === 'text' ? text : undefined}
        name={name}
        type={name === 'text' ? 'search' : 'text'}
        value={draft[name] ?? ''}
        placeholder={placeholder}
        list={list}
        autoComplete="off"
        onInput={(e) => set(name, (e.target as HTMLInputElement).value, false)}
      />
    </label>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter runs"
      onFocusIn={(event) => (event.target as Element).hasAttribute('list') && setSuggest(true)}
      onSubmit={(event) => {
        event.preventDefault();
        window.clearTimeout(timer.current);
        onApply(draft);
      }}
    >
      {input('text', 'Text', 'in names, input, output (press /)')}
      <SelectField label="Kind" name="kind" value={draft.kind ?? ''} options={[['', 'any'], 'agent', 'workflow']} onChange={(v) => set('kind', v, true)} />
      <SelectField label="Status" name="status" value={draft.status ?? ''} options={[['', 'any'], 'running', 'completed', 'failed', 'pending']} onChange={(v) => set('status', v, true)} />
      {input('agent', 'Agent', 'agent_id', 'agents-list')}
      {input('workflow', 'Workflow', 'workflow_id', 'workflows-list')}
      {input('model', 'Model', 'e.g. gpt-4o', 'models-list')}
      {input('session', 'Session', 'session_id')}
      {input('since', 'Since', '7d or 2026-01-06')}
      {input('until', 'Until', '1h or an ISO time')}
      {suggest ? <Suggestions /> : null}
      <div class="filter-actions">
        <button type="submit">Apply</button>
        {TEXT_FILTERS.some((f) => draft[f]) || draft.kind || draft.status ? (
          <button type="button" onClick={() => onApply({})}>
            Clear
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** Agents, workflows and models of the last 30 days for the filter fields, asked for once a field with suggestions is focused. */
function Suggestions() {
  const [lists, setLists] = useState<Record<string, (string | null)[]>>({});
  useEffect(() => {
    const controller = new AbortController();
    for (const by of ['agent', 'workflow', 'model']) {
      getJson<{ groups: StatsGroup[] }>(`/api/v1/stats?by=${by}&since=30d`, controller.signal).then(
        (stats) => setLists((old) => ({ ...old, [by]: stats.groups.map((g) => g.key) })),
        () => undefined,
      );
    }
    return () => controller.abort();
  }, []);
  return (
    <>
      {['agent', 'workflow', 'model'].map((by) => (
        <datalist key={by} id={`${by}s-list`}>
          {(lists[by] ?? []).filter((k): k is string => k !== null).map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
      ))}
    </>
  );
}

function RunsTable({ page }: { page: RunPage }) {
  if (page.runs.length === 0) return <p class="muted empty">No runs match these filters.</p>;
  const now = Date.now();
  return (
    <div class="table-scroll">
      <table class="runs">
        <caption class="visually-hidden">Runs, newest first</caption>
        <TableHead columns={['Status', 'Run', 'Agent / workflow', 'Model', 'Started', { title: 'Duration', num: true }, { title: 'Tokens', num: true }, { title: 'Cost', num: true }]} />
        <tbody>
          {page.runs.map((run) => (
            <tr key={run.run_id} data-run-id={run.run_id} data-status={run.status}>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>
                <a href={`/runs/${run.run_id}`} class="run-link">
                  {nameOf(run)}
                </a>
                <span class="muted mono small" title={run.run_id}>
                  {' '}
                  {shortId(run.run_id)}
                </span>
                {run.replay_of ? <span class="chip">replay</span> : null}
              </td>
              <td>
                <span class="chip chip-kind">{run.kind}</span> {subjectOf(run) ?? '–'}
              </td>
              <td>{typeof run.model === 'string' ? run.model : '–'}</td>
              <td title={formatTime(run.started_at)}>{formatAgo(run.started_at, now)}</td>
              <td class="num">{formatMs(elapsedMs(run, now))}</td>
              <td class="num">{formatTokens(tokensOf(run), true)}</td>
              <td class="num">{formatCost(costOf(run))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
