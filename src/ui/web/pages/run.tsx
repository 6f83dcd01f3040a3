import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, getTextOrNull, seg, withQuery } from '../api';
import { ArtifactsView } from '../components/artifacts';
import { ErrorBox, Field, Loading, Section, StatusBadge } from '../components/common';
import { JsonText } from '../components/json-view';
import { LogsView } from '../components/logs';
import { MetadataTable } from '../components/metadata';
import { ReplayControl } from '../components/replay';
import { StepsView } from '../components/steps';
import { TraceView } from '../components/trace';
import { formatCost, formatMs, formatTime, formatTokens } from '../format';
import { useLoad, usePolling, type Loaded } from '../hooks';
import { costOf, elapsedMs, hasFile, isLive, nameOf, subjectOf, tokensOf } from '../run-fields';
import { navigate } from '../router';
import { holds, type Session } from '../session';
import type { RunDetail, RunPage as RunList } from '../types';

/** How often a running run is asked for again. */
const LIVE_MS = 2000;

/** `/runs/{run_id}`: one run's metadata, trace, input and output, steps, logs and artifacts. */
export function RunPage({ runId, session }: { runId: string; session: Session }) {
  const [run, reload] = useLoad((signal) => getJson<RunDetail>(`/api/v1/runs/${seg(runId)}`, signal), [runId]);
  const live = run.state === 'done' && isLive(run.value);
  usePolling(async () => reload(), LIVE_MS, live);
  const [spanToShow, setSpanToShow] = useState<string | null>(null);
  const moved = useFollowMoves(runId, run);

  useEffect(() => {
    if (run.state === 'done') document.title = `${nameOf(run.value)} · run ${runId} · Paracle`;
  }, [run, runId]);

  if (run.state === 'loading') return <Loading what={`run ${runId}`} />;
  if (moved) return <Loading what="the run under its new id (its root span arrived and set its start)" />;
  if (run.state === 'error') return <ErrorBox error={run.error} />;
  const meta = run.value;
  // Content is fetched again whenever the run changes (a running run grows, then ends).
  const version = `${meta.status}:${String(meta.span_count)}:${String(meta.completed_at)}:${String(meta.artifacts_count)}`;
  const base = `/api/v1/runs/${seg(runId)}`;
  return (
    <article class="run-page" data-run-id={runId} data-status={meta.status}>
      <header class="page-head">
        <div>
          <p class="muted">
            {meta.kind} run · <span class="mono">{runId}</span>
          </p>
          <h1>
            {nameOf(meta)} <StatusBadge status={meta.status} />
          </h1>
        </div>
        <div class="actions">
          <a class="button" href={meta.replay_of ? `/diff?a=${meta.replay_of}&b=${runId}` : `/diff?a=${runId}`}>
            Compare
          </a>
          {holds(session.role, 'operator') ? <ReplayControl run={meta} /> : null}
        </div>
      </header>
      {meta.error ? (
        <p class="error-box" role="status">
          {meta.error}
        </p>
      ) : null}
      <Summary meta={meta} />
      <MetadataTable meta={meta} />
      {holds(session.role, 'analyst') ? (
        <>
          <Section title="Trace" id="trace">
            {hasFile(meta, 'trace.json') ? (
              <TraceView runId={runId} version={version} live={live} showSpan={spanToShow} />
            ) : (
              <p class="muted">No span has been stored yet.</p>
            )}
          </Section>
          <Section title="Input and output" id="io">
            <InputOutput base={base} version={version} meta={meta} />
          </Section>
          {meta.kind === 'workflow' ? (
            <Section title={`Steps (${meta.steps?.length ?? 0})`} id="steps">
              <StepsView runId={runId} steps={meta.steps ?? []} files={meta.files} />
            </Section>
          ) : null}
          <Section title="Logs" id="logs">
            {hasFile(meta, 'logs.txt') ? <Logs base={base} version={version} onSpan={setSpanToShow} /> : <p class="muted">No log lines.</p>}
          </Section>
          <Section title={`Artifacts (${String(meta.artifacts_count ?? 0)})`} id="artifacts">
            <ArtifactsView key={version} base={`${base}/artifacts`} />
          </Section>
        </>
      ) : (
        <p class="note">Your token's role ({session.role}) shows a run's metadata only; its trace, input, output, logs and artifacts need the analyst role.</p>
      )}
    </article>
  );
}

/**
 * A running run is named by its start; when an earlier root span arrives the daemon renames
 * it. When a run this page showed is gone, the page looks its trace up and follows it.
 * Returns true while it does.
 */
function useFollowMoves(runId: string, run: Loaded<RunDetail>): boolean {
  const last = useRef<RunDetail | null>(null);
  const [lost, setLost] = useState(false);
  if (run.state === 'done') last.current = run.value;
  const gone = run.state === 'error' && run.error instanceof ApiError && run.error.status === 404 && last.current?.run_id === runId;
  const traceId = gone && !lost ? last.current?.trace_id : undefined;
  useEffect(() => {
    if (typeof traceId !== 'string') return;
    getJson<RunList>(withQuery('/api/v1/runs', { trace_id: traceId, limit: 1 })).then(
      (list) => {
        const now = list.runs[0];
        if (now && now.run_id !== runId) navigate(`/runs/${now.run_id}`, { replace: true });
        else setLost(true);
      },
      () => setLost(true),
    );
  }, [traceId, runId]);
  return typeof traceId === 'string';
}

function Summary({ meta }: { meta: RunDetail }) {
  const subject = subjectOf(meta);
  return (
    <dl class="fields summary">
      <Field label={meta.kind === 'workflow' ? 'Workflow' : 'Agent'}>
        {subject ? <a href={`/runs?${meta.kind}=${encodeURIComponent(subject)}`}>{subject}</a> : '–'}
      </Field>
      <Field label="Started">{formatTime(meta.started_at)}</Field>
      <Field label="Duration">
        {formatMs(elapsedMs(meta))}
        {isLive(meta) ? ' so far' : ''}
      </Field>
      {meta.kind === 'agent' ? <Field label="Model">{[meta.provider, meta.model].filter(Boolean).join(' / ') || '–'}</Field> : null}
      <Field label="Tokens">
        <span data-testid="run-tokens">{formatTokens(tokensOf(meta))}</span>
        <span class="muted">
          {' '}
          ({formatTokens(meta.tokens_input)} in / {formatTokens(meta.tokens_output)} out)
        </span>
      </Field>
      <Field label="Cost">
        {formatCost(costOf(meta))} {typeof meta.cost_source === 'string' ? <span class="muted">({meta.cost_source})</span> : null}
      </Field>
      <Field label="Spans">{String(meta.span_count ?? '–')}</Field>
      <Field label="Errors">{String(meta.error_count ?? 0)}</Field>
      {meta.session_id ? (
        <Field label="Session">
          <a href={`/runs?session=${encodeURIComponent(meta.session_id)}`}>{meta.session_id}</a>
        </Field>
      ) : null}
      {meta.replay_of ? (
        <Field label="Replay of">
          <a class="mono" href={`/runs/${meta.replay_of}`}>
            {meta.replay_of}
          </a>
        </Field>
      ) : null}
      {meta.place === 'archive' ? <Field label="Place">archived</Field> : null}
    </dl>
  );
}

function InputOutput({ base, version, meta }: { base: string; version: string; meta: RunDetail }) {
  const [files] = useLoad(
    async (signal) =>
      Promise.all([
        hasFile(meta, 'input.json') ? getTextOrNull(`${base}/input`, signal) : null,
        hasFile(meta, 'output.json') ? getTextOrNull(`${base}/output`, signal) : null,
      ]),
    [base],
    version,
  );
  if (files.state === 'loading') return <Loading what="input and output" />;
  if (files.state === 'error') return <ErrorBox error={files.error} />;
  const [input, output] = files.value;
  return (
    <div class="two-columns">
      <div data-testid="run-input">
        <h3>Input</h3>
        <JsonText text={input} empty="No input recorded." label="Input" />
      </div>
      <div data-testid="run-output">
        <h3>Output</h3>
        <JsonText text={output} empty="No output recorded." label="Output" />
      </div>
    </div>
  );
}

function Logs({ base, version, onSpan }: { base: string; version: string; onSpan(spanId: string): void }) {
  const [text] = useLoad((signal) => getTextOrNull(`${base}/logs`, signal), [base], version);
  if (text.state === 'loading') return <Loading what="logs" />;
  if (text.state === 'error') return <ErrorBox error={text.error} />;
  return (
    <div data-testid="run-logs">
      <LogsView text={text.value ?? ''} onSpan={onSpan} />
    </div>
  );
}
