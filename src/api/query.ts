import { InvalidInputError, NotFoundError, parseDurationMs, parseTimeBound } from '../lib/index.js';
import { DEFAULT_LIMIT, DEFAULT_SPAN_PAGE, type RunQuery, type SeriesQuery, type StatsQuery } from '../store/index.js';
import { MAINTENANCE_JOBS, type MaintenanceJob, type RunKind, type RunStatus } from '../model/index.js';

/** `GET /api/v1/runs` parameters as a store query; throws {@link InvalidInputError} for bad values. */
export function runQueryFrom(params: URLSearchParams, nowMs: number): RunQuery {
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  const limit = get('limit');
  return {
    kind: get('kind') as RunKind | undefined,
    agent: get('agent'),
    workflow: get('workflow'),
    status: get('status') as RunStatus | undefined,
    sinceMs: timeParam(params, 'since', nowMs),
    untilMs: timeParam(params, 'until', nowMs),
    model: get('model'),
    session: get('session'),
    traceId: get('trace_id'),
    text: get('text'),
    limit: limit === undefined ? DEFAULT_LIMIT : wholeNumber(limit, 'limit'),
    cursor: get('cursor'),
  };
}

/** `GET /api/v1/stats` parameters. */
export function statsQueryFrom(params: URLSearchParams, nowMs: number): StatsQuery {
  return { by: params.get('by') ?? undefined, sinceMs: timeParam(params, 'since', nowMs), untilMs: timeParam(params, 'until', nowMs) };
}

/** `GET /api/v1/stats/series` parameters: `by`, `since`, `until`, `step` (a duration such as 5m or 1d). */
export function seriesQueryFrom(params: URLSearchParams, nowMs: number): SeriesQuery {
  const step = params.get('step');
  const stepMs = step === null ? undefined : parseDurationMs(step);
  if (stepMs === null) throw new InvalidInputError(`step "${step}" is not a duration (30s, 15m, 12h, 7d, 2w)`);
  return { ...statsQueryFrom(params, nowMs), stepMs };
}

/** `GET /api/v1/runs/{run_id}/spans` paging: `offset` (0) and `limit`. */
export function spanPageFrom(params: URLSearchParams): { offset: number; limit: number } {
  const offset = params.get('offset');
  const limit = params.get('limit');
  return {
    offset: offset === null ? 0 : wholeNumber(offset, 'offset'),
    limit: limit === null ? DEFAULT_SPAN_PAGE : wholeNumber(limit, 'limit'),
  };
}

function timeParam(params: URLSearchParams, name: string, nowMs: number): number | undefined {
  const value = params.get(name);
  return value === null ? undefined : parseTimeBound(value, nowMs, name);
}

function wholeNumber(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidInputError(`${name} "${text}" is not a whole number`);
  return Number(text);
}

/** How a maintenance job is asked for over the API and the CLI. */
export interface MaintenanceRequest {
  dryRun: boolean;
  /** Retention only: runs older than this leave, instead of after `retention_days`. */
  olderThanMs?: number;
}

/**
 * `POST /api/v1/maintenance/{job}?dry_run=true&older_than=7d` as a job and request.
 * {@link NotFoundError} for a job that does not exist, {@link InvalidInputError} for bad values.
 */
export function maintenanceRequestFrom(job: string, params: URLSearchParams): { job: MaintenanceJob; request: MaintenanceRequest } {
  if (!(MAINTENANCE_JOBS as readonly string[]).includes(job)) {
    throw new NotFoundError(`no maintenance job "${job}"; the jobs are ${MAINTENANCE_JOBS.join(', ')}`);
  }
  const dryRun = params.get('dry_run');
  if (dryRun !== null && !['true', 'false', '1', '0'].includes(dryRun)) {
    throw new InvalidInputError(`dry_run "${dryRun}" must be true or false`);
  }
  const olderThan = params.get('older_than');
  const olderThanMs = olderThan === null ? undefined : parseDurationMs(olderThan);
  if (olderThanMs === null) throw new InvalidInputError(`older_than "${olderThan}" is not a duration (30s, 15m, 12h, 7d, 2w)`);
  if (olderThanMs !== undefined && job !== 'retention') throw new InvalidInputError('older_than applies to the retention job only');
  return { job: job as MaintenanceJob, request: { dryRun: dryRun === 'true' || dryRun === '1', olderThanMs } };
}
