import { resolve } from './precedence.js';
import { DOCUMENT_DEPTH_LIMIT, toDocument } from './read.js';
import type { SpanNode } from './tree.js';

/** A span's input document (CONVENTIONS.md §7), null when it has none; JSON text nested past `depthLimit` stays text. */
export function spanInput(span: SpanNode, depthLimit = DOCUMENT_DEPTH_LIMIT): unknown {
  return toDocument(resolve('input', span), depthLimit);
}

/** A span's output document, null when it has none. */
export function spanOutput(span: SpanNode, depthLimit = DOCUMENT_DEPTH_LIMIT): unknown {
  return toDocument(resolve('output', span), depthLimit);
}

/** The run's input: the run root's, else that of the first leaf LLM call that has one. */
export function runInput(root: SpanNode, leaves: readonly SpanNode[], depthLimit = DOCUMENT_DEPTH_LIMIT): unknown {
  const source = [root, ...leaves].find((n) => resolve('input', n) !== undefined);
  return source === undefined ? null : spanInput(source, depthLimit);
}

/**
 * The run's output: the run root's; else, unless the root failed (a failed run's missing
 * output stays null rather than showing an intermediate answer), that of the leaf LLM call
 * that ended last among those that have one.
 */
export function runOutput(root: SpanNode, leaves: readonly SpanNode[], rootFailed: boolean, depthLimit = DOCUMENT_DEPTH_LIMIT): unknown {
  if (resolve('output', root) !== undefined || rootFailed) return spanOutput(root, depthLimit);
  const lastEnded = leaves
    .filter((n) => resolve('output', n) !== undefined)
    .reduce<SpanNode | undefined>((last, n) => (last === undefined || n.endNs >= last.endNs ? n : last), undefined);
  return lastEnded === undefined ? null : spanOutput(lastEnded, depthLimit);
}
