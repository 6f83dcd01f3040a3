import { encodeLogsJson, encodeTracesJson } from '../../codec/otlp/index.js';
import type { BatchTransform, EncodedRequest, LogsConsumer, SpansConsumer } from '../../contracts/index.js';
import { REDACTIONS_ATTRIBUTE_PREFIX, type InstrumentationScope, type KeyValue, type LogRecord, type Origin, type Resource, type Span } from '../../model/index.js';
import { RedactionTally, type Scrubber } from '../../privacy/index.js';

/** Where the stage reports what it replaced (`paracle_redactions_total`). */
export interface RedactionMetrics {
  redacted(counts: Iterable<[string, number]>): void;
}

/**
 * The redaction stage (INTERFACE.md §8), between the receivers and the write-ahead log: hands
 * each batch on once {@link Redaction} has scrubbed it, so no byte of it reaches the disk
 * before. Redaction counts (`paracle.privacy.redactions.*`) a client sent are dropped first:
 * only this stage writes them, so a client cannot inflate a run's `privacy` block. (The
 * log's replay runs {@link Redaction} alone: the counts in its records are ours.)
 */
export class RedactStage implements SpansConsumer, LogsConsumer {
  constructor(
    private readonly redaction: BatchTransform,
    private readonly next: SpansConsumer & LogsConsumer,
  ) {}

  consumeSpans(spans: Span[], source?: EncodedRequest): Promise<void> {
    const request = dropForgedCounts(spans) ? encodedAgain(source, () => encodeTracesJson(spans)) : source;
    return this.next.consumeSpans(spans, this.redaction.transformSpans(spans, request));
  }

  consumeLogs(logs: LogRecord[], source?: EncodedRequest): Promise<void> {
    const request = dropForgedCounts(logs) ? encodedAgain(source, () => encodeLogsJson(logs)) : source;
    return this.next.consumeLogs(logs, this.redaction.transformLogs(logs, request));
  }
}

/**
 * Removes attributes named like redaction counts from the items, their resources and scopes
 * (in place); true when there were any.
 */
function dropForgedCounts(items: readonly (Span | LogRecord)[]): boolean {
  let dropped = false;
  const strip = (attributes: KeyValue[]): void => {
    if (!attributes.some(isRedactionCount)) return;
    dropped = true;
    const kept = attributes.filter((kv) => !isRedactionCount(kv));
    attributes.length = 0;
    for (const kv of kept) attributes.push(kv);
  };
  const seen = new Set<Resource | InstrumentationScope>();
  for (const item of items) {
    strip(item.attributes);
    for (const shared of [item.origin.resource, item.origin.scope]) {
      if (seen.has(shared)) continue;
      seen.add(shared);
      strip(shared.attributes);
    }
  }
  return dropped;
}

function isRedactionCount(kv: KeyValue): boolean {
  return kv.key.startsWith(REDACTIONS_ATTRIBUTE_PREFIX);
}

/** The request encoded again from its (changed) items, so the write-ahead log holds what is handed on. */
function encodedAgain(source: EncodedRequest | undefined, encode: () => string): EncodedRequest | undefined {
  return source === undefined ? undefined : { ...source, format: 'json', body: Buffer.from(encode()) };
}

/**
 * Scrubs a batch in place: resource, scope, span, event and link attributes, span names,
 * status messages, event names, log bodies and attributes. When it changed something, the
 * request is encoded again (OTLP/JSON) so that the write-ahead log holds only scrubbed data;
 * otherwise the request's own bytes go on. Each scrubbed item carries its counts per kind
 * (`paracle.privacy.redactions.<kind>`), which become the run's `privacy`; the batch's go to
 * `paracle_redactions_total`. Also what the log's replay runs its records through.
 */
export class Redaction implements BatchTransform {
  constructor(
    private readonly scrubber: Scrubber,
    private readonly metrics: RedactionMetrics,
  ) {}

  transformSpans(spans: Span[], source?: EncodedRequest): EncodedRequest | undefined {
    if (!this.scrubber.active || spans.length === 0) return source;
    const batch = new BatchScrub(this.scrubber);
    for (const span of spans) batch.span(span);
    return this.finish(batch.total, source, () => encodeTracesJson(spans));
  }

  transformLogs(logs: LogRecord[], source?: EncodedRequest): EncodedRequest | undefined {
    if (!this.scrubber.active || logs.length === 0) return source;
    const batch = new BatchScrub(this.scrubber);
    for (const log of logs) batch.log(log);
    return this.finish(batch.total, source, () => encodeLogsJson(logs));
  }

  private finish(total: RedactionTally, source: EncodedRequest | undefined, encode: () => string): EncodedRequest | undefined {
    if (total.total === 0) return source;
    this.metrics.redacted(total.entries());
    // The memory reserved for the items and their decoded size stay with them.
    return encodedAgain(source, encode);
  }
}

/** Scrubs the items of one batch; resources and scopes shared by several items are scrubbed once. */
class BatchScrub {
  readonly total = new RedactionTally();
  private readonly item = new RedactionTally();
  private readonly seen = new Set<Resource | InstrumentationScope>();

  constructor(private readonly scrubber: Scrubber) {}

  span(span: Span): void {
    this.origin(span.origin);
    const s = this.scrubber;
    const tally = this.begin();
    span.name = s.text(span.name, tally);
    s.attributes(span.attributes, tally);
    span.status.message = s.text(span.status.message, tally);
    for (const event of span.events) {
      event.name = s.text(event.name, tally);
      s.attributes(event.attributes, tally);
    }
    for (const link of span.links) s.attributes(link.attributes, tally);
    this.end(span.attributes);
  }

  log(log: LogRecord): void {
    this.origin(log.origin);
    const tally = this.begin();
    this.scrubber.value(log.body, tally);
    this.scrubber.attributes(log.attributes, tally);
    log.eventName = this.scrubber.text(log.eventName, tally);
    this.end(log.attributes);
  }

  private origin(origin: Origin): void {
    const { resource, scope } = origin;
    if (!this.seen.has(resource)) {
      this.seen.add(resource);
      this.scrubber.attributes(resource.attributes, this.begin());
      this.end(resource.attributes);
    }
    if (!this.seen.has(scope)) {
      this.seen.add(scope);
      const tally = this.begin();
      scope.name = this.scrubber.text(scope.name, tally);
      scope.version = this.scrubber.text(scope.version, tally);
      this.scrubber.attributes(scope.attributes, tally);
      this.end(scope.attributes);
    }
  }

  private begin(): RedactionTally {
    this.item.clear();
    return this.item;
  }

  /** Notes the item's counts on its attributes (added to counts it carries from an earlier scrub). */
  private end(attributes: KeyValue[]): void {
    if (this.item.total === 0) return;
    for (const [kind, count] of this.item.entries()) {
      const key = REDACTIONS_ATTRIBUTE_PREFIX + kind;
      const existing = attributes.find((kv) => kv.key === key);
      const before = existing !== undefined && 'intValue' in existing.value ? Number(existing.value.intValue) : 0;
      if (existing !== undefined) existing.value = { intValue: String(before + count) };
      else attributes.push({ key, value: { intValue: String(count) } });
    }
    this.total.merge(this.item);
  }
}
