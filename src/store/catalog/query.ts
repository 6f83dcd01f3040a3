import { globToSqlite, InvalidInputError } from '../../lib/index.js';
import type { RunKind, RunStatus } from '../../model/index.js';
import { isValidRunId } from '../layout.js';

/** Filters of `runs list`/`runs search` and `GET /api/v1/runs`; all combine with AND. */
export interface RunQuery {
  kind?: RunKind;
  /** agent_id of agent runs. */
  agent?: string;
  /** workflow_id of workflow runs. */
  workflow?: string;
  status?: RunStatus;
  /** Runs started at or after this time (epoch ms). */
  sinceMs?: number;
  /** Runs started at or before this time (epoch ms). */
  untilMs?: number;
  model?: string;
  /** session_id: runs of one conversation or thread. */
  session?: string;
  /** The run written for this trace (a running run's id changes when an earlier root span arrives). */
  traceId?: string;
  /** Case-insensitive substring of the run's names, input or output. */
  text?: string;
  /** Page size, 1 to {@link MAX_LIMIT}. */
  limit: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
  /** Only runs whose subject matches one of these globs (a token's scope). */
  subjects?: SubjectFilter;
}

/**
 * Runs by subject glob (`*` any run of characters, `?` one; see lib/glob.ts): agent runs whose
 * agent_id matches one of `agents`, workflow runs whose workflow_id matches one of
 * `workflows`. An empty list lets no run of its kind through; an unknown id is matched as ''.
 */
export interface SubjectFilter {
  agents: readonly string[];
  workflows: readonly string[];
}

/** The largest page one query returns. */
export const MAX_LIMIT = 1000;
/** The page size when none is asked for. */
export const DEFAULT_LIMIT = 20;

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'completed', 'failed'];
const KINDS: readonly RunKind[] = ['agent', 'workflow'];

/**
 * Checks the enumerated and numeric parts of a query coming from a user, throwing
 * {@link InvalidInputError} with one sentence for the first bad one.
 */
export function checkRunQuery(query: RunQuery): RunQuery {
  if (query.kind !== undefined && !KINDS.includes(query.kind)) {
    throw new InvalidInputError(`kind "${query.kind}" is not one of ${KINDS.join(', ')}`);
  }
  if (query.status !== undefined && !STATUSES.includes(query.status)) {
    throw new InvalidInputError(`status "${query.status}" is not one of ${STATUSES.join(', ')}`);
  }
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIMIT) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  if (query.cursor !== undefined && !isValidRunId(query.cursor)) {
    throw new InvalidInputError(`cursor "${query.cursor}" is not one this server gave out`);
  }
  return query;
}

/** A query's WHERE clause (without `WHERE`) and its parameters; `1` when nothing filters. */
export function whereClause(query: Omit<RunQuery, 'limit'>): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    parts.push(sql);
    params.push(value);
  };
  add('kind = ?', query.kind);
  if (query.agent !== undefined) add("kind = 'agent' AND subject = ?", query.agent);
  if (query.workflow !== undefined) add("kind = 'workflow' AND subject = ?", query.workflow);
  add('status = ?', query.status);
  add('started_ms >= ?', query.sinceMs);
  add('started_ms <= ?', query.untilMs);
  add('model = ?', query.model);
  add('session = ?', query.session);
  add('trace_id = ?', query.traceId);
  add('instr(text, ?) > 0', query.text?.toLowerCase());
  add('run_id < ?', query.cursor);
  if (query.subjects) {
    const clause = subjectClause(query.subjects);
    parts.push(clause.sql);
    params.push(...clause.params);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1', params };
}

function subjectClause(filter: SubjectFilter): { sql: string; params: string[] } {
  const kinds = [
    { kind: 'agent', globs: filter.agents },
    { kind: 'workflow', globs: filter.workflows },
  ].filter(({ globs }) => globs.length > 0);
  if (kinds.length === 0) return { sql: '0', params: [] };
  const sql = kinds.map(({ kind, globs }) => `(kind = '${kind}' AND (${globs.map(() => "coalesce(subject, '') GLOB ?").join(' OR ')}))`);
  return { sql: `(${sql.join(' OR ')})`, params: kinds.flatMap(({ globs }) => globs.map(globToSqlite)) };
}
