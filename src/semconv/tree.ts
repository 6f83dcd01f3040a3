import { nanosToMillis } from '../lib/index.js';
import { attributeMap } from '../model/index.js';
import type { LogRecord, PlainValue, Resource, Span } from '../model/index.js';
import type { SpanRole } from './fields.js';
import type { Attrs } from './read.js';

/** One span with everything the rules ask about it, computed once per trace. */
export interface SpanNode {
  readonly span: Span;
  readonly id: string;
  readonly name: string;
  /** Span attributes over resource attributes (the span wins): what rules read. */
  readonly attrs: Attrs;
  /** The span's own attributes, for rules that must not be fooled by resource-wide values. */
  readonly own: Attrs;
  readonly resource: Attrs;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly startMs: number;
  readonly endMs: number;
  /** Null when the parent is absent from the trace (a root, or the top of a fragment). */
  readonly parent: SpanNode | null;
  /** Earliest first. */
  readonly children: readonly SpanNode[];
  /** Distance from the top of the node's tree. */
  readonly depth: number;
  readonly role: SpanRole;
  /**
   * OTLP log records of the trace that name this span; the first top also holds those that
   * name no span of the trace (Claude Code's `claude_code.api_request` events, ADK's
   * `gen_ai.client.inference.operation.details` records). Arrival order.
   */
  readonly logs: readonly LogRecord[];
}

/** A trace's spans as a forest. */
export interface SpanTree {
  /** Every span, earliest start first (ties keep arrival order). */
  readonly byStart: readonly SpanNode[];
  readonly earliest: SpanNode;
  /** Spans without a present parent, earliest first. */
  readonly tops: readonly SpanNode[];
  /** Parents before children: walk it backwards for bottom-up passes. */
  readonly preorder: readonly SpanNode[];
}

interface Draft {
  span: Span;
  id: string;
  name: string;
  attrs: Attrs;
  own: Attrs;
  resource: Attrs;
  startNs: bigint;
  endNs: bigint;
  startMs: number;
  endMs: number;
  parent: Draft | null;
  children: Draft[];
  depth: number;
  role: SpanRole;
  logs: LogRecord[];
}

/** OTLP nanoseconds to a bigint; a malformed value sorts as time zero rather than throwing. */
export function nanos(value: string): bigint {
  try {
    return BigInt(value);
  } catch {
    return 0n;
  }
}

/**
 * Builds the span forest of a trace: attribute maps, parent links, children ordered by
 * start, depth, the trace's log records placed on the span they name, and each span's role
 * from `roleOf` (called once the tree is linked; it must not read `role`). A span id seen
 * twice keeps its first span; a parent cycle is broken at its earliest span. Null when
 * there are no spans.
 */
export function buildTree(
  spans: readonly Span[],
  roleOf: (node: SpanNode) => SpanRole,
  logs: readonly LogRecord[] = [],
): SpanTree | null {
  const { drafts, byId } = uniqueDrafts(spans);
  const [earliest] = drafts;
  if (earliest === undefined) return null;
  for (const draft of drafts) {
    const parent = draft.span.parentSpanId === '' ? undefined : byId.get(draft.span.parentSpanId);
    if (parent !== undefined && parent !== draft) {
      draft.parent = parent;
      parent.children = append(parent.children, draft);
    }
  }
  const { tops, preorder } = order(drafts);
  for (const log of logs) {
    const node = byId.get(log.spanId) ?? (tops[0] as Draft);
    node.logs = append(node.logs, log);
  }
  for (const draft of drafts) draft.role = roleOf(draft);
  return { byStart: drafts, earliest, tops, preorder };
}

/**
 * The list every node starts with for its children and its logs, shared until the node gets
 * one: most spans of a large trace are leaves without logs, and two empty arrays a span
 * were a fifth of the tree's memory (~64 of ~300 bytes a span at 200,000 spans).
 */
const NONE: never[] = Object.freeze([]) as never[];

/** `list` with `item` added: a list of its own when it was {@link NONE}. */
function append<T>(list: T[], item: T): T[] {
  if (list === NONE) return [item];
  list.push(item);
  return list;
}

/** The spans' drafts, the first of each span id only, earliest start first; and the drafts by id. */
function uniqueDrafts(spans: readonly Span[]): { drafts: Draft[]; byId: Map<string, Draft> } {
  const resources = new Map<Resource, Attrs>();
  const byId = new Map<string, Draft>();
  const drafts: Draft[] = [];
  for (const span of spans) {
    if (byId.has(span.spanId)) continue;
    let resource = resources.get(span.origin.resource);
    if (resource === undefined) {
      resource = attributeMap(span.origin.resource.attributes);
      resources.set(span.origin.resource, resource);
    }
    const made = draft(span, resource);
    byId.set(made.id, made);
    drafts.push(made);
  }
  // Array.prototype.sort is stable: equal starts keep arrival order.
  return { drafts: drafts.sort(byStartTime), byId };
}

/** The `own` attributes of every span that has none (maps are read only here). */
const NO_ATTRIBUTES: Attrs = new Map();

function draft(span: Span, resource: Attrs): Draft {
  // A span without attributes of its own reads its resource's map, not a copy of it: a trace
  // of 200,000 bare spans would otherwise hold 200,000 copies while it is mapped.
  const own = span.attributes.length === 0 ? NO_ATTRIBUTES : attributeMap(span.attributes);
  let attrs = resource;
  if (own.size > 0) {
    const merged = new Map<string, PlainValue>(resource);
    for (const [key, value] of own) merged.set(key, value);
    attrs = merged;
  }
  return {
    span,
    id: span.spanId,
    name: span.name,
    attrs,
    own,
    resource,
    startNs: nanos(span.startTimeUnixNano),
    endNs: nanos(span.endTimeUnixNano),
    startMs: nanosToMillis(span.startTimeUnixNano),
    endMs: nanosToMillis(span.endTimeUnixNano),
    parent: null,
    children: NONE,
    depth: UNVISITED,
    role: 'other',
    logs: NONE,
  };
}

/** The depth of a draft {@link order} has not reached yet. */
const UNVISITED = -1;

/**
 * Depth-first order from the tops; spans only reachable through a cycle become tops, in
 * their place by start among the others.
 */
function order(drafts: readonly Draft[]): { tops: Draft[]; preorder: Draft[] } {
  const tops: Draft[] = [];
  const preorder: Draft[] = [];
  const visit = (top: Draft): void => {
    tops.push(top);
    const stack: Draft[] = [top];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      preorder.push(node);
      node.depth = node.parent === null ? 0 : node.parent.depth + 1;
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as Draft);
    }
  };
  for (const d of drafts) if (d.parent === null) visit(d);
  const acyclic = tops.length;
  for (const d of drafts) {
    if (d.depth !== UNVISITED || d.parent === null) continue;
    const siblings = d.parent.children;
    siblings.splice(siblings.indexOf(d), 1);
    d.parent = null;
    visit(d);
  }
  // Tops found first are in start order already; only a cycle's adds some out of place.
  if (tops.length > acyclic) {
    const rank = new Map(drafts.map((d, i) => [d, i]));
    tops.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  }
  return { tops, preorder };
}

/** Comparator of nanosecond times: earlier first. */
export function compareNanos(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Comparator of spans: earlier start first. */
export function byStartTime(a: SpanNode, b: SpanNode): number {
  return compareNanos(a.startNs, b.startNs);
}

/** The node and all its descendants, parents first. */
export function subtree(node: SpanNode): SpanNode[] {
  const out: SpanNode[] = [];
  const stack: SpanNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as SpanNode);
  }
  return out;
}

/** The node itself or its nearest ancestor satisfying `test`, else null. */
export function nearest(node: SpanNode, test: (n: SpanNode) => boolean): SpanNode | null {
  for (let n: SpanNode | null = node; n !== null; n = n.parent) if (test(n)) return n;
  return null;
}

/**
 * {@link nearest} for many nodes of one tree: the answers for every node are found in one
 * pass (parents first), so asking for all spans of a deep chain stays linear.
 */
export function nearestIn(tree: SpanTree, test: (n: SpanNode) => boolean): (node: SpanNode) => SpanNode | null {
  let found: Map<SpanNode, SpanNode | null> | null = null;
  return (node) => {
    if (found === null) {
      found = new Map();
      for (const n of tree.preorder) found.set(n, test(n) ? n : (n.parent === null ? null : (found.get(n.parent) ?? null)));
    }
    return found.get(node) ?? null;
  };
}
