import { attributeMap, type RunStatus } from '../model/index.js';
import { resolve } from './precedence.js';
import { textAt } from './read.js';
import type { SpanNode, SpanTree } from './tree.js';

/** What went wrong in a trace (CONVENTIONS.md §9). */
export interface TraceErrors {
  /** Spans that are errored by any rule. */
  readonly errored: ReadonlySet<SpanNode>;
  /** Errored spans with no errored descendant: one failure propagated upwards counts once. */
  readonly origins: readonly SpanNode[];
  /** Spans with an errored span in their subtree (themselves included). */
  readonly failedBelow: ReadonlySet<SpanNode>;
}

/** Finds errored spans and error origins. */
export function traceErrors(tree: SpanTree): TraceErrors {
  const errored = new Set(tree.byStart.filter((n) => resolve('errored', n) === true));
  const erroredBelow = new Set<SpanNode>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    if (node.children.some((c) => errored.has(c) || erroredBelow.has(c))) erroredBelow.add(node);
  }
  const failedBelow = new Set([...errored, ...erroredBelow]);
  return { errored, origins: tree.byStart.filter((n) => errored.has(n) && !erroredBelow.has(n)), failedBelow };
}

/** Status and exit code of a run. */
export interface RunOutcome {
  status: RunStatus;
  exitCode: number | null;
}

/**
 * The run's outcome (CONVENTIONS.md §9): while not final, `running` with only a stated exit
 * code; once final, `failed` when the run root is errored or states a non-zero exit code,
 * and an exit code that is the stated one, else 1 for failed and 0 for completed. In a
 * replay, `outcome` is the daemon's span for the command's end (./replay.ts): the exit code
 * it observed comes first, and its error (non-zero exit, timeout) fails the run too.
 */
export function runOutcome(root: SpanNode, errors: TraceErrors, final: boolean, outcome: SpanNode | null = null): RunOutcome {
  const observed = outcome === null ? undefined : resolve('exitCode', outcome);
  const stated = observed ?? resolve('exitCode', root);
  if (!final) return { status: 'running', exitCode: stated ?? null };
  const errored = errors.errored.has(root) || (outcome !== null && errors.errored.has(outcome));
  const failed = errored || (stated !== undefined && stated !== 0);
  return { status: failed ? 'failed' : 'completed', exitCode: stated ?? (failed ? 1 : 0) };
}

// `error` is one sentence; a status message can be a whole stack trace or more.
const MAX_ERROR_CHARS = 1000;

/**
 * Why a failed run failed, in one sentence (metadata `error`); null for a run that did not
 * fail. The first that has a message: the replay outcome span (when it is errored: the
 * command's exit or timeout), the run root, then each error origin; a span's message is its
 * status message, else its `exception` event's `exception.message`, else `error.type`.
 */
export function runError(status: RunStatus, root: SpanNode, errors: TraceErrors, outcome: SpanNode | null): string | null {
  if (status !== 'failed') return null;
  const candidates = [...(outcome !== null && errors.errored.has(outcome) ? [outcome] : []), root, ...errors.origins];
  for (const node of candidates) {
    const message = errorMessage(node);
    if (message !== undefined) return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 1)}…` : message;
  }
  return null;
}

function errorMessage(node: SpanNode): string | undefined {
  const status = node.span.status.message.trim();
  if (status !== '') return status;
  for (const event of node.span.events) {
    if (event.name !== 'exception') continue;
    const message = textAt(attributeMap(event.attributes), 'exception.message');
    if (message !== undefined) return message;
  }
  return textAt(node.attrs, 'error.type');
}
