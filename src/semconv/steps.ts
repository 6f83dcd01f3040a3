import { slug } from '../lib/index.js';
import type { StepRecord, StepStatus } from '../model/index.js';
import type { ArtifactPlacement } from './artifacts.js';
import { spanInput, spanOutput } from './content.js';
import type { TraceErrors } from './errors.js';
import { agentIdOf } from './identity.js';
import { resolve } from './precedence.js';
import { genAiLayerBelow, isAgentSpan } from './roles.js';
import { byStartTime } from './tree.js';
import type { SpanNode, SpanTree } from './tree.js';

/**
 * The workflow's step spans (CONVENTIONS.md §5), earliest first: the spans with an explicit
 * step id anywhere in the trace; without any, the first layer of GenAI spans below the run
 * root, less the framework's plumbing (LangGraph's `__start__`).
 */
export function stepSpans(tree: SpanTree, root: SpanNode): SpanNode[] {
  const explicit = tree.byStart.filter((n) => resolve('explicitStep', n) !== undefined);
  return explicit.length > 0 ? explicit : genAiLayerBelow(root).filter((n) => resolve('internalStep', n) !== true);
}

/** One record per step span, with unique slugged ids, statuses, input/output and artifacts. */
export function stepRecords(steps: readonly SpanNode[], errors: TraceErrors, artifacts: ArtifactPlacement, tree: SpanTree, depthLimit?: number): StepRecord[] {
  const ids = uniqueStepIds(steps);
  const stepAgent = earliestAgentBelow(tree);
  return steps.map((node, i) => ({
    stepId: ids[i] as string,
    name: node.name,
    spanId: node.id,
    status: stepStatus(node, errors),
    agentId: stepAgent(node),
    startedAtMs: node.startMs,
    durationSeconds: node.endNs >= node.startNs && node.endNs > 0n ? (node.endMs - node.startMs) / 1000 : null,
    input: spanInput(node, depthLimit),
    output: spanOutput(node, depthLimit),
    artifacts: artifacts.byOwner.get(node) ?? [],
  }));
}

/** Slugged step ids; a repeat gets `-2`, `-3` ... in start order (it names a directory). */
function uniqueStepIds(steps: readonly SpanNode[]): string[] {
  const used = new Set<string>();
  return steps.map((node) => {
    const base = slug(resolve('stepId', node) ?? '') || 'step';
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  });
}

/**
 * The stated status, else `failed` when an errored span lies in the step's subtree (where
 * there is an errored span there is an error origin), else `completed`.
 */
function stepStatus(node: SpanNode, errors: TraceErrors): StepStatus {
  return resolve('stepStatus', node) ?? (errors.failedBelow.has(node) ? 'failed' : 'completed');
}

/**
 * The agent of each step: the step span's own, else that of the earliest agent span inside
 * it that has an id (ties in subtree order). One pass, children before parents, so nested
 * steps cost no more than the tree.
 */
function earliestAgentBelow(tree: SpanTree): (node: SpanNode) => string | null {
  const rank = new Map(tree.preorder.map((n, i) => [n, i]));
  const earlier = (a: SpanNode | null, b: SpanNode | null): SpanNode | null => {
    if (a === null || b === null) return a ?? b;
    const byStart = byStartTime(a, b);
    return byStart < 0 || (byStart === 0 && (rank.get(a) ?? 0) < (rank.get(b) ?? 0)) ? a : b;
  };
  const best = new Map<SpanNode, SpanNode | null>();
  for (let i = tree.preorder.length - 1; i >= 0; i--) {
    const node = tree.preorder[i] as SpanNode;
    let found: SpanNode | null = isAgentSpan(node) && agentIdOf(node) !== undefined ? node : null;
    for (const child of node.children) found = earlier(found, best.get(child) ?? null);
    best.set(node, found);
  }
  return (node) => {
    const agent = best.get(node) ?? null;
    return agent === null ? null : (agentIdOf(agent) ?? null);
  };
}
