import { Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';
import type { Logger } from 'pino';
import {
  AUTH_FAILURE_REASONS,
  MAINTENANCE_JOBS,
  TRUNCATION_LIMITS,
  type AuthFailureReason,
  type MaintenanceJob,
  type RunKind,
  type StoreSize,
  type TruncationCounts,
} from '../model/index.js';
import { defineMetrics, type MetricSet } from './definitions.js';
import { defineGauges, type GaugeSources, type RunningRun } from './gauges.js';
import { LabelBound } from './label-bound.js';
import { silentLogger } from './logger.js';

/** The transport a span or log record arrived on (label `protocol`). */
export type IngestProtocol = 'http_protobuf' | 'http_json' | 'grpc';

/** What became of received items (label `outcome`). */
export type IngestOutcome = 'accepted' | 'rejected' | 'dropped';

/** A run that has just become final (completed or failed). */
export interface RunFinished {
  kind: RunKind;
  /** The agent_id or workflow_id. */
  id: string;
  runId: string;
  traceId: string;
  status: 'completed' | 'failed';
  durationSeconds: number;
  /** A workflow's steps; empty for an agent run. */
  steps: readonly StepFinished[];
}

/** One step of a workflow run that has just become final. */
export interface StepFinished {
  stepId: string;
  status: 'completed' | 'failed' | 'skipped';
  /** Null when the step span carried no usable end time. */
  durationSeconds: number | null;
}

/** Tokens and cost newly used under one label set (an increment, never a total). */
export interface UsageIncrement {
  /** The agent the calls ran under; empty when none. */
  agent: string;
  /** The run's workflow_id; empty outside workflows. */
  workflow: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Parts of `inputTokens` read from / written to a prompt cache, and of `outputTokens` spent reasoning. */
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Register prom-client's process metrics (default true). */
  defaultMetrics?: boolean;
  /** Distinct values per id-like label before further ones become `other` (`metrics.max_ids`). */
  maxIds?: number;
  /** Where the events that also deserve a log line are logged. */
  logger?: Logger;
}

// Default process metrics whose `_total` gauge names promtool rejects (INTERFACE.md §3).
const REJECTED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
const PROTOCOLS: readonly IngestProtocol[] = ['http_protobuf', 'http_json', 'grpc'];
const OUTCOMES: readonly IngestOutcome[] = ['accepted', 'rejected', 'dropped'];
const DEFAULT_MAX_IDS = 1000;

/**
 * The one metrics registry of a daemon with every metric of INTERFACE.md §3. Components
 * receive it and call one named method per event (which also logs, where the event deserves
 * a line); gauges that mirror state are computed on scrape from installed sources. Every
 * label fed from telemetry (ids, agents, workflows, providers, models, steps) is bounded.
 */
export class Metrics {
  readonly registry = new Registry<RegistryContentType>();
  private scrape: Promise<unknown> = Promise.resolve();
  private readonly m: MetricSet;
  private readonly logger: Logger;
  private readonly bounds: Record<'agent' | 'workflow' | 'provider' | 'model' | 'step', LabelBound>;
  private readonly registeredNames = new WeakMap<object, string>();
  private readonly sources: GaugeSources = { tracesInFlight: () => 0, runsRunning: () => [], storeSize: () => Promise.resolve(null) };

  constructor(options: MetricsOptions = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of REJECTED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
    const max = options.maxIds ?? DEFAULT_MAX_IDS;
    this.bounds = {
      agent: new LabelBound(max),
      workflow: new LabelBound(max),
      provider: new LabelBound(max),
      model: new LabelBound(max),
      step: new LabelBound(max),
    };
    this.logger = options.logger ?? silentLogger();
    this.m = defineMetrics(this.registry);
    defineGauges(this.registry, this.sources, (kind, id) => this.bounds[kind].value(id));
    this.zeroKnownSeries();
  }

  /**
   * Renders every metric as Prometheus text or OpenMetrics, each correct whatever was served
   * before. Scrapes are serialised because the format is a setting of the shared registry,
   * and prom-client renames counters for OpenMetrics in place (`x_total` becomes the family
   * `x`): their registered names are put back before a text scrape.
   */
  exposition(openMetrics: boolean): Promise<{ contentType: string; body: string }> {
    const render = async (): Promise<{ contentType: string; body: string }> => {
      this.restoreNames(openMetrics);
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
    if (count > 0) this.m.receivedSpans.inc({ protocol, outcome }, count);
  }

  /** Counts one request's worth of received log records. */
  logRecordsReceived(protocol: IngestProtocol, outcome: IngestOutcome, count: number): void {
    if (count > 0) this.m.receivedLogRecords.inc({ protocol, outcome }, count);
  }

  /** Counts what ingest limits cut or refused in one request, per limit. */
  truncated(counts: TruncationCounts): void {
    for (const limit of TRUNCATION_LIMITS) {
      const n = counts[limit] ?? 0;
      if (n > 0) this.m.truncations.inc({ limit }, n);
    }
  }

  /** Records how long one run materialization took. */
  materialized(kind: RunKind, seconds: number): void {
    this.m.materializeDuration.observe({ kind }, seconds);
  }

  /**
   * A run became final: logs it, counts it in `paracle_runs_total` and its duration, and a
   * workflow's finished steps. Call once per run, however often late spans re-write it.
   */
  runFinished(run: RunFinished): void {
    this.logger.info(
      { kind: run.kind, id: run.id, run_id: run.runId, trace_id: run.traceId, status: run.status, duration_seconds: run.durationSeconds },
      'run finished',
    );
    const labels = { kind: run.kind, id: this.bounds[run.kind].value(run.id), status: run.status };
    this.m.runs.inc(labels);
    this.m.runDuration.observe(labels, run.durationSeconds);
    for (const step of run.steps) {
      const stepLabels = { workflow: labels.id, step: this.bounds.step.value(step.stepId) };
      this.m.workflowSteps.inc({ ...stepLabels, status: step.status });
      if (step.durationSeconds !== null) this.m.stepDuration.observe(stepLabels, step.durationSeconds);
    }
  }

  /** Adds the tokens and cost that one write of a run newly accounted for, per label set. */
  usageAdded(increments: readonly UsageIncrement[]): void {
    for (const inc of increments) {
      const labels = {
        agent: this.bounds.agent.value(inc.agent),
        workflow: this.bounds.workflow.value(inc.workflow),
        provider: this.bounds.provider.value(inc.provider),
        model: this.bounds.model.value(inc.model),
      };
      if (inc.inputTokens > 0) this.m.tokens.inc({ ...labels, type: 'input' }, inc.inputTokens);
      if (inc.outputTokens > 0) this.m.tokens.inc({ ...labels, type: 'output' }, inc.outputTokens);
      if (inc.cacheReadTokens > 0) this.m.tokenDetails.inc({ ...labels, type: 'cache_read' }, inc.cacheReadTokens);
      if (inc.cacheWriteTokens > 0) this.m.tokenDetails.inc({ ...labels, type: 'cache_write' }, inc.cacheWriteTokens);
      if (inc.reasoningTokens > 0) this.m.tokenDetails.inc({ ...labels, type: 'reasoning' }, inc.reasoningTokens);
      if (inc.costUsd > 0) this.m.cost.inc(labels, inc.costUsd);
    }
  }

  /** A maintenance job ran: logs it (with `fields`, e.g. what it did) and counts it with its duration. */
  maintenanceJobRan(job: MaintenanceJob, outcome: 'ok' | 'error', seconds: number, fields: Record<string, unknown> = {}): void {
    const line = { job, outcome, duration_seconds: seconds, ...fields };
    if (outcome === 'ok') this.logger.info(line, 'maintenance job finished');
    else this.logger.warn(line, 'maintenance job failed');
    this.m.maintenanceRuns.inc({ job, outcome });
    this.m.maintenanceDuration.observe({ job }, seconds);
  }

  /**
   * Counts values replaced by the redaction stage or an artifact upload, per kind. Kinds are
   * the built-in ones and the configured custom pattern names: a bounded set.
   */
  redacted(counts: Iterable<[string, number]>): void {
    for (const [kind, count] of counts) this.m.redactions.inc({ kind }, count);
  }

  /** Starts the series of each kind that can be counted at 0, so rates work from the first redaction. */
  redactionKinds(kinds: Iterable<string>): void {
    for (const kind of kinds) this.m.redactions.inc({ kind }, 0);
  }

  /** Counts one request refused by access control (the caller logs or audits it). */
  authFailed(reason: AuthFailureReason): void {
    this.m.authFailures.inc({ reason });
  }

  /** Installs the function that reports the assembler's in-flight trace count on scrape. */
  observeTracesInFlight(read: () => number): void {
    this.sources.tracesInFlight = read;
  }

  /** Installs the function that lists the runs currently written as running, read on scrape. */
  observeRunsRunning(read: () => Iterable<RunningRun>): void {
    this.sources.runsRunning = read;
  }

  /**
   * Installs the function that reads what the store holds, called on scrape (once for both
   * store gauges). A failure is logged and leaves the gauges as they were.
   */
  observeStoreSize(read: () => Promise<StoreSize>): void {
    let reading: Promise<StoreSize | null> | null = null;
    this.sources.storeSize = () => {
      reading ??= read()
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'reading the store size from the run index failed');
          return null;
        })
        .finally(() => {
          reading = null;
        });
      return reading;
    };
  }

  /**
   * Notes the registered name of each metric not seen before (no OpenMetrics scrape has
   * renamed it yet: those note first) and, for a text scrape, puts every name back.
   */
  private restoreNames(openMetrics: boolean): void {
    for (const metric of this.registry.getMetricsAsArray() as unknown as { name: string }[]) {
      const registered = this.registeredNames.get(metric);
      if (registered === undefined) this.registeredNames.set(metric, metric.name);
      else if (!openMetrics) metric.name = registered;
    }
  }

  // Series whose label values are all known up front start at 0: a rate over them then
  // works from the first event, and dashboards show 0 instead of "no data".
  private zeroKnownSeries(): void {
    for (const protocol of PROTOCOLS) {
      for (const outcome of OUTCOMES) {
        this.m.receivedSpans.inc({ protocol, outcome }, 0);
        this.m.receivedLogRecords.inc({ protocol, outcome }, 0);
      }
    }
    for (const job of MAINTENANCE_JOBS) {
      for (const outcome of ['ok', 'error'] as const) this.m.maintenanceRuns.inc({ job, outcome }, 0);
      this.m.maintenanceDuration.zero({ job });
    }
    for (const kind of ['agent', 'workflow'] as const) this.m.materializeDuration.zero({ kind });
    for (const limit of TRUNCATION_LIMITS) this.m.truncations.inc({ limit }, 0);
    for (const reason of AUTH_FAILURE_REASONS) this.m.authFailures.inc({ reason }, 0);
  }
}
