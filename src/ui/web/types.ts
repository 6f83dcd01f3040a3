/** The JSON shapes of the /api/v1 routes the UI reads (README "HTTP API"). */

// The shapes the store gives readers are defined once, in src/model (types only: nothing of
// it reaches the bundle).
export type { PlainValue, SeriesLine, SpanDetail, SpanPage, SpanRow, StatsGroup, StatsSeries } from '../../model/index.js';

/** Roles of INTERFACE.md §4, weakest first; `ingest` grants nothing here. */
export type Role = 'viewer' | 'analyst' | 'operator' | 'admin' | 'ingest';

/** A run's metadata.yaml fields (INTERFACE.md §2) plus `pinned`. */
export interface RunMeta {
  run_id: string;
  kind: 'agent' | 'workflow';
  status: 'pending' | 'running' | 'completed' | 'failed';
  agent_id?: string | null;
  agent_name?: string | null;
  workflow_id?: string | null;
  workflow_name?: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  model?: string | null;
  provider?: string | null;
  tokens_used?: number | null;
  tokens_total?: number | null;
  tokens_input?: number | null;
  tokens_output?: number | null;
  cost_usd?: number | null;
  cost_total_usd?: number | null;
  span_count?: number | null;
  error_count?: number | null;
  replay_of?: string | null;
  session_id?: string | null;
  error?: string | null;
  pinned?: boolean;
  steps?: StepMeta[];
  [field: string]: unknown;
}

/** One workflow step in a workflow run's metadata. */
export interface StepMeta {
  step_id: string;
  name: string | null;
  status: string;
  agent_id: string | null;
  started_at: string | null;
  duration_seconds: number | null;
}

/** `GET /api/v1/runs/{id}`. */
export interface RunDetail extends RunMeta {
  place: 'live' | 'archive';
  files: FileEntry[];
}

export interface FileEntry {
  path: string;
  size: number;
  compressed?: true;
}

export interface RunPage {
  runs: RunMeta[];
  next_cursor: string | null;
}

/** `GET /api/v1/whoami` (the access module): who the token is and what it may see. */
export interface Whoami {
  /** The token's name; `anonymous` on an open API. */
  name: string;
  role: Role;
  /** The token's agent and workflow globs as configured; null where none was given. */
  scope?: { agents: string[] | null; workflows: string[] | null };
}
