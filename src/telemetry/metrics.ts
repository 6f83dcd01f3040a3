import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';

/** The transport a span or log record arrived on (label `protocol`). */
export type IngestProtocol = 'http_protobuf' | 'http_json' | 'grpc';

/** What became of received items (label `outcome`). */
export type IngestOutcome = 'accepted' | 'rejected' | 'dropped';

// Default process metrics whose `_total` gauge names promtool rejects (INTERFACE.md §3).
const REJECTED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The one metrics registry of a daemon with every metric definition. Components receive it
 * and call the named recording methods; gauges that mirror state are computed on scrape.
 */
export class Metrics {
  readonly registry = new Registry<RegistryContentType>();
  private scrape: Promise<unknown> = Promise.resolve();
  private readonly receivedSpans: Counter<'protocol' | 'outcome'>;
  private readonly receivedLogRecords: Counter<'protocol' | 'outcome'>;
  private readonly materializeDuration: Histogram<'kind'>;
  private tracesInFlight: () => number = () => 0;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of REJECTED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
    this.receivedSpans = new Counter({
      name: 'paracle_received_spans_total',
      help: 'Spans received over OTLP, by protocol and outcome.',
      labelNames: ['protocol', 'outcome'],
      registers,
    });
    this.receivedLogRecords = new Counter({
      name: 'paracle_received_log_records_total',
      help: 'Log records received over OTLP, by protocol and outcome.',
      labelNames: ['protocol', 'outcome'],
      registers,
    });
    this.materializeDuration = new Histogram({
      name: 'paracle_materialize_duration_seconds',
      help: 'Time to map a trace and write its run directory.',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const inFlight: Gauge = new Gauge({
      name: 'paracle_traces_in_flight',
      help: 'Traces held by the assembler, not yet written as final.',
      registers,
      collect: () => inFlight.set(this.tracesInFlight()),
    });
  }

  /**
   * Renders every metric as Prometheus text or OpenMetrics. Scrapes are serialised because
   * the format is a setting of the shared registry.
   */
  exposition(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    const render = async (): Promise<{ contentType: string; body: string }> => {
      this.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
      const body = await this.registry.metrics();
      return { contentType: this.registry.contentType, body };
    };
    const result = this.scrape.then(render, render);
    this.scrape = result.catch(() => undefined);
    return result;
  }

  /** Counts one request's worth of received spans. */
  spansReceived(protocol: IngestProtocol, outcome: IngestOutcome, count: number): void {
    if (count > 0) this.receivedSpans.inc({ protocol, outcome }, count);
  }

  /** Counts one request's worth of received log records. */
  logRecordsReceived(protocol: IngestProtocol, outcome: IngestOutcome, count: number): void {
    if (count > 0) this.receivedLogRecords.inc({ protocol, outcome }, count);
  }

  /** Records how long one run materialization took. */
  materialized(kind: string, seconds: number): void {
    this.materializeDuration.observe({ kind }, seconds);
  }

  /** Installs the function that reports the assembler's in-flight trace count on scrape. */
  observeTracesInFlight(read: () => number): void {
    this.tracesInFlight = read;
  }
}
