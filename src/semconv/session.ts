import { attributeMap } from '../model/index.js';
import type { LogRecord } from '../model/index.js';
import { resolveFirst } from './precedence.js';
import { textAt } from './read.js';
import type { SpanNode, SpanTree } from './tree.js';

/** Keys a log record may name its session by (Claude Code's events carry `session.id`). */
const LOG_SESSION_KEYS = ['gen_ai.conversation.id', 'session.id'] as const;

/**
 * The run's session (metadata `session_id`): the run root's own, else the first span that
 * names one (an HTTP root or a framework span above the agent often carries none, and
 * baggage puts it on the spans below), else the first log record of the trace that does.
 * Never made up: null when nothing names one.
 */
export function runSession(root: SpanNode, tree: SpanTree, logs: readonly LogRecord[]): string | null {
  const fromSpans = resolveFirst('session', [root, ...tree.byStart]);
  if (fromSpans !== undefined) return fromSpans;
  for (const log of logs) {
    const attrs = attributeMap(log.attributes);
    for (const key of LOG_SESSION_KEYS) {
      const value = textAt(attrs, key);
      if (value !== undefined) return value;
    }
  }
  return null;
}
