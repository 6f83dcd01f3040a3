import { resolve } from './precedence.js';
import { toDocument } from './read.js';
import type { SpanNode } from './tree.js';

/** A span's input document (CONVENTIONS.md §7), null when it has none. */
export function spanInput(span: SpanNode): unknown {
  return toDocument(resolve('input', span));
}

/** A span's output document, null when it has none. */
export function spanOutput(span: SpanNode): unknown {
  return toDocument(resolve('output', span));
}

/** The run's input: the run root's, else that of the first leaf LLM call that has one. */
export function runInput(root: SpanNode, leaves: readonly SpanNode[]): unknown {
  const source = [root, ...leaves].find((n) => resolve('input', n) !== undefined);
  return source === undefined ? null : spanInput(source);
}

/**
 * The run's output: the run root's; else, unless the root failed (a failed run's missing
 * output stays null rather than showing an intermediate answer), that of the leaf LLM call
 * that ended last among those that have one.
 */
export function runOutput(root: SpanNode, leaves: readonly SpanNode[], rootFailed: boolean): unknown {
  if (resolve('output', root) !== undefined || rootFailed) return spanOutput(root);
  const lastEnded = leaves
    .filter((n) => resolve('output', n) !== undefined)
    .reduce<SpanNode | undefined>((last, n) => (last === undefined || n.endNs >= last.endNs ? n : last), undefined);
  return lastEnded === undefined ? null : spanOutput(lastEnded);
}
