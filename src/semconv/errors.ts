import type { RunStatus } from '../model/index.js';
import { resolve } from './precedence.js';
import type { SpanNode, SpanTree } from './tree.js';

/** What went wrong in a trace (CONVENTIONS.md §9). */
export interface TraceErrors {
  /** Spans that are errored by any rule. */
  readonly errored: ReadonlySet<SpanNode>;
  /** Errored spans with no errored descendant: one failure propagated upwards counts once. */
  readonly origins: readonly SpanNode[];
}

/** Finds errored spans and error origins. */
export function traceErrors(tree: SpanTree): TraceErrors {
  const errored = new Set(tree.byStart.filter((n) => resolve('errored', n) === true));
  const erroredBelow = new Set<SpanNode>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    if (node.children.some((c) => errored.has(c) || erroredBelow.has(c))) erroredBelow.add(node);
  }
  return { errored, origins: tree.byStart.filter((n) => errored.has(n) && !erroredBelow.has(n)) };
}

/** Status and exit code of a run. */
export interface RunOutcome {
  status: RunStatus;
  exitCode: number | null;
}

/**
 * The run's outcome (CONVENTIONS.md §9): while not final, `running` with only a stated exit
 * code; once final, `failed` when the run root is errored or states a non-zero exit code,
 * and an exit code that is the stated one, else 1 for failed and 0 for completed.
 */
export function runOutcome(root: SpanNode, errors: TraceErrors, final: boolean): RunOutcome {
  const stated = resolve('exitCode', root);
  if (!final) return { status: 'running', exitCode: stated ?? null };
  const failed = errors.errored.has(root) || (stated !== undefined && stated !== 0);
  return { status: failed ? 'failed' : 'completed', exitCode: stated ?? (failed ? 1 : 0) };
}
