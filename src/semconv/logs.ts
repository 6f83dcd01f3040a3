import { attributeMap, plainValue } from '../model/index.js';
import type { LogRecord, RunLogLine, Span, SpanEvent } from '../model/index.js';
import { ARTIFACT_ATTR, ARTIFACT_EVENT } from './families/paracle.js';
import { plainText, textAt } from './read.js';
import type { Attrs } from './read.js';
import { compareNanos, nanos } from './tree.js';
import type { SpanNode, SpanTree } from './tree.js';

/** OTel severity number bands (1–4 TRACE ... 21–24 FATAL), by band. */
const SEVERITY_BANDS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** Artifact payloads belong in artifacts/, never in logs.txt. */
const ARTIFACT_PAYLOAD_KEYS: readonly string[] = [ARTIFACT_ATTR.content, ARTIFACT_ATTR.contentBase64];

/**
 * The lines of logs.txt (CONVENTIONS.md §10): one per span event and one per log record,
 * oldest first (equal times keep span events before log records, each in arrival order).
 * An `exception` event is an ERROR line whose message is `exception.message`; any other
 * event is INFO with the event name as message; `paracle.artifact` events keep their
 * name and type but not their content.
 */
export function runLogs(tree: SpanTree, logs: readonly LogRecord[]): RunLogLine[] {
  const lines = [
    ...tree.byStart.flatMap((node) => node.span.events.map((event) => eventLine(node, event))),
    ...logRecordLines(logs, tree.byStart.map((node) => node.span)),
  ];
  return lines
    .map((line) => ({ line, timeNs: nanos(line.timeUnixNano) }))
    .sort((a, b) => compareNanos(a.timeNs, b.timeNs))
    .map(({ line }) => line);
}

/**
 * The logs.txt lines of log records alone, in the given order: for records that come after
 * their run was written (`spans` are the run's spans, naming each record's span) or that
 * belong to no trace (`spans` empty).
 */
export function logRecordLines(logs: readonly LogRecord[], spans: readonly Span[]): RunLogLine[] {
  const spanNames = new Map(spans.map((span) => [span.spanId, span.name]));
  return logs.map((log) => logLine(log, spanNames));
}

function eventLine(node: SpanNode, event: SpanEvent): RunLogLine {
  const attrs = attributeMap(event.attributes);
  const exceptionMessage = event.name === 'exception' ? textAt(attrs, 'exception.message') : undefined;
  const hidden = event.name === ARTIFACT_EVENT ? ARTIFACT_PAYLOAD_KEYS : exceptionMessage === undefined ? [] : ['exception.message'];
  return {
    timeUnixNano: event.timeUnixNano,
    severity: event.name === 'exception' ? 'ERROR' : 'INFO',
    spanName: node.name,
    traceId: node.span.traceId,
    spanId: node.id,
    message: exceptionMessage ?? event.name,
    attributes: textPairs(attrs, hidden),
  };
}

function logLine(log: LogRecord, spanNames: ReadonlyMap<string, string>): RunLogLine {
  const body = plainValue(log.body);
  return {
    // The SDK leaves the event time 0 when it only knows when it observed the record.
    timeUnixNano: nanos(log.timeUnixNano) === 0n ? log.observedTimeUnixNano : log.timeUnixNano,
    severity: severity(log),
    spanName: spanNames.get(log.spanId) ?? '',
    traceId: log.traceId,
    spanId: log.spanId,
    message: body === null || body === '' ? log.eventName : plainText(body),
    attributes: textPairs(attributeMap(log.attributes), []),
  };
}

/** `severityText` as given (upper-cased), else the band of `severityNumber`, else INFO. */
function severity(log: LogRecord): string {
  const text = log.severityText.trim();
  if (text !== '') return text.toUpperCase();
  return SEVERITY_BANDS[Math.floor((log.severityNumber - 1) / 4)] ?? 'INFO';
}

function textPairs(attrs: Attrs, hidden: readonly string[]): [string, string][] {
  return [...attrs].filter(([key]) => !hidden.includes(key)).map(([key, value]) => [key, plainText(value)]);
}
