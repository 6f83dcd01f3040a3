import { millisToNanos } from '../lib/index.js';
import { anyValue, replayParentSpanId, StatusCode, type KeyValue, type RunKind, type Span } from '../model/index.js';
import type { CommandEnd } from './command.js';

/** What the end span of one replay says. */
export interface ReplayEnd {
  traceId: string;
  /** The run replayed (`paracle.replay_of`). */
  replayOf: string;
  /** The original's kind and agent or workflow id: the run's identity if the command sent nothing. */
  kind: RunKind;
  subjectId: string;
  /** The original's agent or workflow name, if known. */
  name: string | null;
  /** The original's `input.json` text: the run's input if the command sent nothing. */
  input: string;
  startedAtMs: number;
  endedAtMs: number;
  end: CommandEnd;
}

/** The span name of a replay's end span. */
export const REPLAY_END_SPAN = 'paracle.replay';


/**
 * The span the daemon sends into its own ingest when a replayed command ends: it is the
 * parent the command's `TRACEPARENT` named (model/replay.ts), timed from start to exit,
 * with the exit code the daemon saw (`paracle.exit_code`) and, when the command failed
 * (non-zero exit, signal, timeout, could not start, stopped), an ERROR status whose message
 * is the reason: the run's `error`. Going through the ingest like any span, it is written
 * to the WAL and lands in the run in order with the command's own spans.
 */
export function replayEndSpan(replay: ReplayEnd): Span {
  const attributes: KeyValue[] = [
    attribute('paracle.replay_of', replay.replayOf),
    attribute('paracle.run.kind', replay.kind),
    attribute(`paracle.${replay.kind}.id`, replay.subjectId),
    attribute('paracle.input', replay.input),
  ];
  if (replay.name !== null) attributes.push(attribute(`paracle.${replay.kind}.name`, replay.name));
  if (replay.end.kind === 'exited') attributes.push(attribute('paracle.exit_code', replay.end.code));
  const reason = failureOf(replay.end);
  return {
    traceId: replay.traceId,
    spanId: replayParentSpanId(replay.traceId),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: REPLAY_END_SPAN,
    kind: 1,
    startTimeUnixNano: millisToNanos(replay.startedAtMs),
    endTimeUnixNano: millisToNanos(Math.max(replay.endedAtMs, replay.startedAtMs)),
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: reason === null ? { code: StatusCode.UNSET, message: '' } : { code: StatusCode.ERROR, message: reason },
    // Objects of its own: the redaction stage scrubs spans in place.
    origin: {
      resource: { attributes: [attribute('service.name', 'paracle')], droppedAttributesCount: 0 },
      resourceSchemaUrl: '',
      scope: { name: 'paracle.replay', version: '', attributes: [], droppedAttributesCount: 0 },
      scopeSchemaUrl: '',
    },
  };
}

/** Why a replayed command failed, as one sentence; null when it exited 0. */
export function failureOf(end: CommandEnd): string | null {
  const said = 'stderr' in end && end.stderr !== '' ? `: ${end.stderr}` : '';
  switch (end.kind) {
    case 'exited':
      return end.code === 0 ? null : `the replay command exited with code ${end.code}${said}`;
    case 'signaled':
      return `the replay command was killed by ${end.signal}${said}`;
    case 'timed_out':
      return `the replay command timed out after ${formatSeconds(end.afterMs)}; its process group was killed${said}`;
    case 'stopped':
      return `${end.reason}${said}`;
    case 'not_started':
      return `the replay command could not start: ${end.reason}`;
  }
}

function attribute(key: string, value: string | number): KeyValue {
  return { key, value: anyValue(value) };
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
