import { InvalidInputError, parseTimeBound } from '../lib/index.js';
import { DEFAULT_LIMIT, type RunQuery, type StatsQuery } from '../store/index.js';
import type { RunKind, RunStatus } from '../model/index.js';

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
    text: get('text'),
    limit: limit === undefined ? DEFAULT_LIMIT : wholeNumber(limit, 'limit'),
    cursor: get('cursor'),
  };
}

/** `GET /api/v1/stats` parameters. */
export function statsQueryFrom(params: URLSearchParams, nowMs: number): StatsQuery {
  return { by: params.get('by') ?? undefined, sinceMs: timeParam(params, 'since', nowMs), untilMs: timeParam(params, 'until', nowMs) };
}

function timeParam(params: URLSearchParams, name: string, nowMs: number): number | undefined {
  const value = params.get(name);
  return value === null ? undefined : parseTimeBound(value, nowMs, name);
}

function wholeNumber(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidInputError(`${name} "${text}" is not a whole number`);
  return Number(text);
}
