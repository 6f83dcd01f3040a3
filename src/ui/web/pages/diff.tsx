import { diffLines } from 'diff';
import { useEffect, useState } from 'preact/hooks';
import { getJson, getTextOrNull, seg, withQuery } from '../api';
import { ErrorBox, Loading, StatusBadge, TableHead } from '../components/common';
import { formatCost, formatMs, formatTokens, signed } from '../format';
import { useLoad } from '../hooks';
import { navigate, type Location } from '../router';
import { costOf, nameOf, tokensOf } from '../run-fields';
import { holds, type Session } from '../session';
import type { RunDetail } from '../types';

// Fields that differ between any two runs and say nothing about how they differ.
const SKIPPED = new Set(['run_id', 'trace_id', 'steps', 'files', 'usage_counted_spans']);
/** Lines compared at most per side; longer texts are shown cut. */
const MAX_LINES = 5000;

interface Side {
  run: RunDetail;
  input: string | null;
  output: string | null;
}

/**
 * `/diff?a={run_id}&b={run_id}`: two runs side by side (metadata, tokens, cost, duration,
 * input and output line by line). With `a` alone, a replay is compared with its original.
 */
export function DiffPage({ location, session }: { location: Location; session: Session }) {
  const a = location.query.get('a') ?? '';
  const b = location.query.get('b') ?? '';
  const content = holds(session.role, 'analyst');
  const [pair] = useLoad(async (signal) => (a === '' ? null : loadPair(a, b, content, signal)), [a, b, content]);
  useEffect(() => {
    document.title = 'Diff · Paracle';
  }, []);
  return (
    <section class="diff-page">
      <header class="page-head">
        <h1>Compare runs</h1>
      </header>
      <PickForm a={a} b={b} />
      {pair.state === 'loading' && a !== '' ? <Loading what="both runs" /> : null}
      {pair.state === 'error' ? <ErrorBox error={pair.error} /> : null}
      {pair.state === 'done' && pair.value === null && a !== '' ? (
        <p class="note">Run {a} is not a replay: give a second run to compare it with.</p>
      ) : null}
      {pair.state === 'done' && pair.value !== null ? <Comparison left={pair.value[0]} right={pair.value[1]} content={content} /> : null}
    </section>
  );
}

function PickForm({ a, b }: { a: string; b: string }) {
  const [left, setLeft] = useState(a);
  const [right, setRight] = useState(b);
  useEffect(() => {
    setLeft(a);
    setRight(b);
  }, [a, b]);
  return (
    <form
      class="filters"
      aria-label="Runs to compare"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(withQuery('/diff', { a: left.trim(), b: right.trim() }));
      }}
    >
      <label>
        Run A <input name="a" class="mono" value={left} onInput={(e) => setLeft((e.target as HTMLInputElement).value)} placeholder="run id" required />
      </label>
      <label>
        Run B <input name="b" class="mono" value={right} onInput={(e) => setRight((e.target as HTMLInputElement).value)} placeholder="run id (empty: A's original)" />
      </label>
      <div class="filter-actions">
        <button type="submit">Compare</button>
      </div>
    </form>
  );
}

/** Both runs, or null when only `a` is given and it is not a replay. */
async function loadPair(a: string, b: string, content: boolean, signal: AbortSignal): Promise<[Side, Side] | null> {
  let left = a;
  let right = b;
  if (right === '') {
    const run = await getJson<RunDetail>(`/api/v1/runs/${seg(a)}`, signal);
    if (!run.replay_of) return null;
    [left, right] = [run.replay_of, a];
  }
  return Promise.all([loadSide(left, content, signal), loadSide(right, content, signal)]);
}

async function loadSide(runId: string, content: boolean, signal: AbortSignal): Promise<Side> {
  const base = `/api/v1/runs/${seg(runId)}`;
  const [run, input, output] = await Promise.all([
    getJson<RunDetail>(base, signal),
    content ? getTextOrNull(`${base}/input`, signal) : null,
    content ? getTextOrNull(`${base}/output`, signal) : null,
  ]);
  return { run, input, output };
}

function Comparison({ left, right, content }: { left: Side; right: Side; content: boolean }) {
  const [onlyChanged, setOnlyChanged] = useState(true);
  const keys = [...new Set([...Object.keys(left.run), ...Object.keys(right.run)])].filter((k) => !SKIPPED.has(k));
  const rows = keys.map((key) => ({ key, a: left.run[key], b: right.run[key], same: JSON.stringify(left.run[key]) === JSON.stringify(right.run[key]) }));
  const shown = onlyChanged ? rows.filter((r) => !r.same) : rows;
  return (
    <div class="comparison" data-testid="comparison">
      <div class="two-columns">
        {[left, right].map((side, i) => (
          <div key={side.run.run_id} class="diff-head">
            <p class="muted">Run {i === 0 ? 'A' : 'B'}</p>
            <h2>
              <a href={`/runs/${side.run.run_id}`}>{nameOf(side.run)}</a> <StatusBadge status={side.run.status} />
            </h2>
            <p class="mono small">{side.run.run_id}</p>
          </div>
        ))}
      </div>
      <Deltas a={left.run} b={right.run} />
      <h2>Metadata</h2>
      <label class="inline">
        <input type="checkbox" checked={onlyChanged} onChange={(e) => setOnlyChanged((e.target as HTMLInputElement).checked)} /> Only fields that differ ({rows.filter((r) => !r.same).length} of {rows.length})
      </label>
      <div class="table-scroll">
        <table class="diff-fields">
          <TableHead columns={['Field', 'A', 'B']} />
          <tbody>
            {shown.map((row) => (
              <tr key={row.key} class={row.same ? undefined : 'changed'} data-field={row.key}>
                <th scope="row" class="mono">
                  {row.same ? '' : <span class="visually-hidden">changed: </span>}
                  {row.key}
                </th>
                <td class="mono">{show(row.a)}</td>
                <td class="mono">{show(row.b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {content ? (
        <>
          <h2>Output</h2>
          <TextDiff a={left.output} b={right.output} />
          <details>
            <summary>Input</summary>
            <TextDiff a={left.input} b={right.input} />
          </details>
        </>
      ) : (
        <p class="note">Comparing input and output needs the analyst role.</p>
      )}
    </div>
  );
}

function Deltas({ a, b }: { a: RunDetail; b: RunDetail }) {
  const tokensA = tokensOf(a) ?? 0;
  const tokensB = tokensOf(b) ?? 0;
  const costA = costOf(a) ?? 0;
  const costB = costOf(b) ?? 0;
  const durA = (a.duration_seconds ?? 0) * 1000;
  const durB = (b.duration_seconds ?? 0) * 1000;
  const item = (label: string, from: string, to: string, delta: string, worse: boolean | null) => (
    <div class={`delta${worse === true ? ' worse' : worse === false ? ' better' : ''}`}>
      <dt>{label}</dt>
      <dd>
        {from} → {to} <strong>({delta})</strong>
      </dd>
    </div>
  );
  return (
    <dl class="deltas" data-testid="deltas">
      {item('Tokens', formatTokens(tokensA), formatTokens(tokensB), signed(tokensB - tokensA, formatTokens), tokensB === tokensA ? null : tokensB > tokensA)}
      {item('Cost', formatCost(costA), formatCost(costB), signed(Number((costB - costA).toFixed(10)), formatCost), costB === costA ? null : costB > costA)}
      {item('Duration', formatMs(durA), formatMs(durB), signed(durB - durA, formatMs), durB === durA ? null : durB > durA)}
      {item('Status', a.status, b.status, a.status === b.status ? 'same' : 'changed', a.status === b.status ? null : b.status === 'failed')}
    </dl>
  );
}

/** Two texts line by line, side by side: removed lines left, added lines right. */
function TextDiff({ a, b }: { a: string | null; b: string | null }) {
  const left = pretty(a);
  const right = pretty(b);
  if (left === right) return <p class="muted">{a === null && b === null ? 'Neither run recorded one.' : 'Identical.'}</p>;
  const rows: { a: string | null; b: string | null; kind: 'same' | 'changed' }[] = [];
  const parts = diffLines(cut(left), cut(right));
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const lines = splitLines(part.value);
    if (!part.added && !part.removed) {
      for (const line of lines) rows.push({ a: line, b: line, kind: 'same' });
      continue;
    }
    // A removal followed by an addition is a change: pair their lines.
    const next = part.removed ? parts[i + 1] : undefined;
    const removed = part.removed ? lines : [];
    const added = part.added ? lines : next?.added ? splitLines(next.value) : [];
    if (next?.added) i++;
    for (let j = 0; j < Math.max(removed.length, added.length); j++) rows.push({ a: removed[j] ?? null, b: added[j] ?? null, kind: 'changed' });
  }
  return (
    <div class="table-scroll">
      <table class="text-diff" data-testid="text-diff">
        <tbody>
          {rows.map((row, i) => (
            <tr key={i} class={row.kind}>
              <td class={row.kind === 'changed' && row.a !== null ? 'removed' : undefined}>
                <pre>{row.a ?? ''}</pre>
              </td>
              <td class={row.kind === 'changed' && row.b !== null ? 'added' : undefined}>
                <pre>{row.b ?? ''}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** JSON re-indented, so formatting alone never shows as a change. */
function pretty(text: string | null): string {
  if (text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function cut(text: string): string {
  const lines = text.split('\n');
  return lines.length > MAX_LINES ? `${lines.slice(0, MAX_LINES).join('\n')}\n… (${lines.length - MAX_LINES} more lines not compared)` : text;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
