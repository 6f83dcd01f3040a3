import { useEffect, useMemo } from 'preact/hooks';
import { getJson, withQuery } from '../api';
import { LineChart, type ChartLine } from '../components/chart';
import { ErrorBox, Loading, SelectField, TableHead } from '../components/common';
import { formatCost, formatSeconds, formatTokens } from '../format';
import { useLoad } from '../hooks';
import { navigate, type Location } from '../router';
import type { SeriesLine, StatsGroup, StatsSeries } from '../types';

/** What `runs stats --by` groups on (INTERFACE.md §1). */
const DIMENSIONS = ['agent', 'model', 'workflow', 'status', 'session', 'project'] as const;
const WINDOWS = ['1h', '6h', '24h', '7d', '30d', '90d'] as const;
const DEFAULT_BY = 'agent';
const DEFAULT_SINCE = '7d';

const count = (v: number): string => formatTokens(v, true);
const seconds = (v: number): string => formatSeconds(v);

/** `/stats?by&since`: count, failures, tokens, cost and p50/p95 duration per group over time. */
export function StatsPage({ location }: { location: Location }) {
  const by = location.query.get('by') ?? DEFAULT_BY;
  const since = location.query.get('since') ?? DEFAULT_SINCE;
  const step = location.query.get('step');
  const [data] = useLoad(
    (signal) =>
      Promise.all([
        getJson<StatsSeries>(withQuery('/api/v1/stats/series', { by, since, step }), signal),
        getJson<{ groups: StatsGroup[] }>(withQuery('/api/v1/stats', { by, since }), signal),
      ]),
    [by, since, step],
  );
  useEffect(() => {
    document.title = 'Stats · Paracle';
  }, []);
  const set = (name: string, value: string): void => navigate(withQuery('/stats', { by, since, step, [name]: value }));
  return (
    <section class="stats-page">
      <header class="page-head">
        <h1>Stats</h1>
      </header>
      <form class="filters" aria-label="Stats options" onSubmit={(e) => e.preventDefault()}>
        <SelectField label="Per" name="by" value={by} options={DIMENSIONS} onChange={(v) => set('by', v)} />
        <SelectField label="Over the last" name="since" value={since} options={(WINDOWS as readonly string[]).includes(since) ? WINDOWS : [since, ...WINDOWS]} onChange={(v) => set('since', v)} />
      </form>
      {data.state === 'loading' ? <Loading what="stats" /> : null}
      {data.state === 'error' ? <ErrorBox error={data.error} /> : null}
      {data.state === 'done' ? <Charts series={data.value[0]} groups={data.value[1].groups} by={by} since={since} /> : null}
    </section>
  );
}

function Charts({ series, groups, by, since }: { series: StatsSeries; groups: StatsGroup[]; by: string; since: string }) {
  const charts = useMemo(() => {
    const label = (line: SeriesLine): string => (line.other ? 'all others' : (line.key ?? `(no ${by})`));
    const lines = (pick: (line: SeriesLine) => (number | null)[]): ChartLine[] =>
      series.series.map((line, i) => ({ label: label(line), values: pick(line), color: i }));
    return {
      count: lines((l) => l.count),
      failures: lines((l) => l.failures),
      tokens: lines((l) => l.tokens),
      cost: lines((l) => l.cost_usd),
      duration: series.series.flatMap((line, i) => [
        { label: `${label(line)} p50`, values: line.p50_duration_seconds, color: i, sparse: true },
        { label: `${label(line)} p95`, values: line.p95_duration_seconds, color: i, dashed: true, sparse: true },
      ]),
    };
  }, [series, by]);
  if (series.series.length === 0) return <p class="muted empty">No runs started in this window.</p>;
  const xs = series.buckets;
  return (
    <>
      <p class="muted">
        Buckets of {formatSeconds(series.step_seconds)} from {new Date(series.since).toLocaleString()}; the {series.series.length} largest groups by run count.
      </p>
      <div class="charts" data-testid="charts">
        <LineChart title="Runs" xs={xs} lines={charts.count} format={count} />
        <LineChart title="Failures" xs={xs} lines={charts.failures} format={count} />
        <LineChart title="Tokens" xs={xs} lines={charts.tokens} format={count} />
        <LineChart title="Cost (USD)" xs={xs} lines={charts.cost} format={formatCost} />
        <LineChart title="Duration p50 (solid) and p95 (dashed)" xs={xs} lines={charts.duration} format={seconds} />
      </div>
      <h2>Totals</h2>
      <div class="table-scroll">
        <table class="stats-table" data-testid="stats-table">
          <TableHead columns={[by, ...['Runs', 'Failures', 'Tokens', 'Cost', 'p50', 'p95'].map((title) => ({ title, num: true }))]} />
          <tbody>
            {groups.map((group) => (
              <tr key={String(group.key)} data-key={group.key ?? ''}>
                <th scope="row">{group.key === null ? <span class="muted">(none)</span> : <GroupLink by={by} value={group.key} since={since} />}</th>
                <td class="num">{group.count.toLocaleString()}</td>
                <td class="num">
                  {group.failures.toLocaleString()} <span class="muted">({group.count > 0 ? Math.round((100 * group.failures) / group.count) : 0}%)</span>
                </td>
                <td class="num">{formatTokens(group.tokens)}</td>
                <td class="num">{formatCost(group.cost_usd)}</td>
                <td class="num">{formatSeconds(group.p50_duration_seconds)}</td>
                <td class="num">{formatSeconds(group.p95_duration_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A group's runs on the runs page, where a runs filter exists for the dimension. */
function GroupLink({ by, value, since }: { by: string; value: string; since: string }) {
  const filter = by === 'project' ? null : by;
  if (filter === null) return <>{value}</>;
  return <a href={withQuery('/runs', { [filter]: value, since })}>{value}</a>;
}
