import { globToRegExp } from '../lib/index.js';

/** The globs of a token's scope (INTERFACE.md §9); a list left out is null. */
export interface ScopeSpec {
  agents?: readonly string[] | null;
  workflows?: readonly string[] | null;
}

/**
 * Which runs a scope lets through, as the run index filters them: agent runs whose
 * `agent_id` matches one of `agents`, workflow runs whose `workflow_id` matches one of
 * `workflows` (an empty list lets none of that kind through).
 */
export interface SubjectFilter {
  agents: readonly string[];
  workflows: readonly string[];
}

/** A token's scope, compiled once. */
export interface Scope {
  /** The globs as configured (null: not given), e.g. for `whoami`. */
  readonly agents: readonly string[] | null;
  readonly workflows: readonly string[] | null;
  /** The filter for collections; null when the scope is every run (nothing to filter). */
  readonly filter: SubjectFilter | null;
  /** Whether a run of `kind` whose agent_id / workflow_id is `subject` (null: unknown) is in scope. */
  allows(kind: 'agent' | 'workflow', subject: string | null): boolean;
}

/** The scope of a token without `agents` or `workflows`: every run. */
export const EVERY_RUN: Scope = { agents: null, workflows: null, filter: null, allows: () => true };

/**
 * Compiles a scope: with neither list, every run; otherwise the agent runs matching an
 * `agents` glob and the workflow runs matching a `workflows` glob. A run whose id is unknown
 * is judged as the empty id (so `*` lets it through).
 */
export function compileScope(spec: ScopeSpec): Scope {
  const agents = spec.agents ?? null;
  const workflows = spec.workflows ?? null;
  if (agents === null && workflows === null) return EVERY_RUN;
  const agentRes = (agents ?? []).map(globToRegExp);
  const workflowRes = (workflows ?? []).map(globToRegExp);
  return {
    agents,
    workflows,
    filter: { agents: agents ?? [], workflows: workflows ?? [] },
    allows(kind, subject) {
      const id = subject ?? '';
      return (kind === 'agent' ? agentRes : workflowRes).some((re) => re.test(id));
    },
  };
}
