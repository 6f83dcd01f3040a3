import { createHash } from 'node:crypto';

/** What the replay parent span id is derived from, with the trace id appended. */
const REPLAY_PARENT_SEED = 'paracle-replay/';

/**
 * The span id a replay's `TRACEPARENT` names as parent (INTERFACE.md §7): the first 8 bytes
 * of SHA-256("paracle-replay/" + trace id), in hex. Derived rather than stored, so any
 * component (assembler, run mapping, a restarted daemon) recognises the top spans of a
 * replayed agent from the spans alone: they are the run's root although they have a parent.
 * The daemon sends that parent span itself when the command ends (the replay's outcome);
 * nothing waits for it.
 */
export function replayParentSpanId(traceId: string): string {
  return createHash('sha256').update(REPLAY_PARENT_SEED).update(traceId).digest('hex').slice(0, 16);
}

/**
 * True when a span starts its run: it has no parent, or its parent is the replay parent of
 * its trace (see {@link replayParentSpanId}).
 */
export function startsRun(span: { traceId: string; parentSpanId: string }): boolean {
  return span.parentSpanId === '' || span.parentSpanId === replayParentSpanId(span.traceId);
}
