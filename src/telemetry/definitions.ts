import { Counter, Histogram, type Registry, type RegistryContentType } from 'prom-client';
import { MAINTENANCE_BUCKETS, MATERIALIZE_BUCKETS, RUN_DURATION_BUCKETS } from './buckets.js';

/** The metrics of INTERFACE.md §3 that events record (the gauges read on scrape are in gauges.ts). */
export interface MetricSet {
  runs: Counter<'kind' | 'id' | 'status'>;
  runDuration: Histogram<'kind' | 'id' | 'status'>;
  tokens: Counter<'agent' | 'workflow' | 'provider' | 'model' | 'type'>;
  tokenDetails: Counter<'agent' | 'workflow' | 'provider' | 'model' | 'type'>;
  cost: Counter<'agent' | 'workflow' | 'provider' | 'model'>;
  workflowSteps: Counter<'workflow' | 'step' | 'status'>;
  stepDuration: Histogram<'workflow' | 'step'>;
  receivedSpans: Counter<'protocol' | 'outcome'>;
  receivedLogRecords: Counter<'protocol' | 'outcome'>;
  materializeDuration: Histogram<'kind'>;
  maintenanceRuns: Counter<'job' | 'outcome'>;
  maintenanceDuration: Histogram<'job'>;
  redactions: Counter<'kind'>;
  truncations: Counter<'limit'>;
  authFailures: Counter<'reason'>;
}

/** Registers the recorded metrics of INTERFACE.md §3 (names, types, labels) in `registry`. */
export function defineMetrics(registry: Registry<RegistryContentType>): MetricSet {
  const registers = [registry];
  const runLabels = ['kind', 'id', 'status'] as const;
  const usageLabels = ['agent', 'workflow', 'provider', 'model'] as const;
  const ingestLabels = ['protocol', 'outcome'] as const;
  return {
    runs: new Counter({ name: 'paracle_runs_total', help: 'Runs that became final, by kind, agent or workflow id, and status.', labelNames: runLabels, registers }),
    runDuration: new Histogram({ name: 'paracle_run_duration_seconds', help: 'Duration of final runs.', labelNames: runLabels, buckets: RUN_DURATION_BUCKETS, registers }),
    tokens: new Counter({ name: 'paracle_tokens_total', help: 'LLM tokens used, by agent, workflow, provider, model and type (input or output).', labelNames: [...usageLabels, 'type'], registers }),
    tokenDetails: new Counter({ name: 'paracle_token_details_total', help: 'Parts of the LLM tokens in paracle_tokens_total (cache_read and cache_write of input, reasoning of output), by the same labels; not to be added to it.', labelNames: [...usageLabels, 'type'], registers }),
    cost: new Counter({ name: 'paracle_cost_usd_total', help: 'LLM cost in US dollars, by agent, workflow, provider and model.', labelNames: usageLabels, registers }),
    workflowSteps: new Counter({ name: 'paracle_workflow_steps_total', help: 'Steps of final workflow runs, by outcome.', labelNames: ['workflow', 'step', 'status'], registers }),
    stepDuration: new Histogram({ name: 'paracle_step_duration_seconds', help: 'Duration of the steps of final workflow runs.', labelNames: ['workflow', 'step'], buckets: RUN_DURATION_BUCKETS, registers }),
    receivedSpans: new Counter({ name: 'paracle_received_spans_total', help: 'Spans received over OTLP, by protocol and outcome.', labelNames: ingestLabels, registers }),
    receivedLogRecords: new Counter({ name: 'paracle_received_log_records_total', help: 'Log records received over OTLP, by protocol and outcome.', labelNames: ingestLabels, registers }),
    materializeDuration: new Histogram({ name: 'paracle_materialize_duration_seconds', help: 'Time to map a trace and write its run directory.', labelNames: ['kind'], buckets: MATERIALIZE_BUCKETS, registers }),
    maintenanceRuns: new Counter({ name: 'paracle_maintenance_runs_total', help: 'Maintenance job runs, by job and outcome.', labelNames: ['job', 'outcome'], registers }),
    maintenanceDuration: new Histogram({ name: 'paracle_maintenance_duration_seconds', help: 'Duration of maintenance job runs.', labelNames: ['job'], buckets: MAINTENANCE_BUCKETS, registers }),
    redactions: new Counter({ name: 'paracle_redactions_total', help: 'Values replaced before storage (secrets and personal data), by kind.', labelNames: ['kind'], registers }),
    truncations: new Counter({ name: 'paracle_truncations_total', help: 'Attributes, values, events, links and spans cut or refused by ingest.limits, by limit.', labelNames: ['limit'], registers }),
    authFailures: new Counter({ name: 'paracle_auth_failures_total', help: 'Requests refused by access control: missing or unknown token, role lacking, run out of scope.', labelNames: ['reason'], registers }),
  };
}
