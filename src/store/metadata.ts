import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { ScalarTag, SchemaOptions, ToStringOptions } from 'yaml';
import { isoFromMillis } from '../lib/index.js';
import { TRUNCATION_LIMITS } from '../model/index.js';
import type { AgentRunRecord, RunCommon, RunRecord, RunTruncation, StepRecord, TruncationCounts, WorkflowRunRecord } from '../model/index.js';
import { CorruptRunFileError } from './errors.js';
import { sanitizeStepId } from './layout.js';
import { costExtras } from './metadata-cost.js';

// Loaded on first use, synchronously: the yaml library is a third of a CLI command's start-up,
// and `runs list` answers from the index without reading any metadata.yaml.
let yamlLibrary: typeof Yaml | undefined;
const yaml = (): typeof Yaml => (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

/** Figures only the store knows, counted on disk when the run is written. */
export interface MetadataCounts {
  artifactsCount: number;
}

// JavaScript prints numbers below 1e-6 as `1e-7`, which YAML 1.1 readers (PyYAML) take
// for a string; write them as plain decimals instead. Only for |v| < 1, where every float
// that survived `tidy()` has at most ten decimals.
const SMALL_FLOAT: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  // Never matches, so parsing is unchanged; yaml prefers a tag with a test when several fit.
  test: /(?!)/,
  identify: (value) => typeof value === 'number' && Math.abs(value) < 1 && String(value).includes('e'),
  resolve: (text) => Number(text),
  stringify: ({ value }) => (value as number).toFixed(10).replace(/0+$/, ''),
};

// Double-quoted strings keep ids like "0123", words like "yes" and timestamps strings for
// every YAML reader, 1.1 or 1.2; no folding keeps one field on one line for grep.
const YAML_OPTIONS: ToStringOptions & SchemaOptions = {
  // Ahead of the schema's own float tags, which would otherwise match first.
  customTags: (tags) => [SMALL_FLOAT, ...tags],
  defaultStringType: 'QUOTE_DOUBLE',
  defaultKeyType: 'PLAIN',
  lineWidth: 0,
};

/**
 * The text of `metadata.yaml` (INTERFACE.md §2): every schema field in the contract's order,
 * null where unknown, then the extras. `completed_at` and `duration_seconds` are null until
 * the run is completed or failed. Floats are rounded to ten decimals (durations to
 * microseconds) so no binary noise reaches the file. Parses back to the same values with
 * any YAML reader.
 */
export function renderMetadata(runId: string, record: RunRecord, counts: MetadataCounts): string {
  return renderMetadataFields(metadataFields(runId, record, counts));
}

/** The values of `metadata.yaml`, as {@link parseMetadata} reads them back from the text. */
export function metadataFields(runId: string, record: RunRecord, counts: MetadataCounts): Record<string, unknown> {
  return record.kind === 'agent' ? agentFields(runId, record, counts) : workflowFields(runId, record, counts);
}

/** The text of `metadata.yaml` holding `fields` as they are (e.g. parsed, then changed). */
export function renderMetadataFields(fields: Record<string, unknown>): string {
  return yaml().stringify(fields, YAML_OPTIONS);
}

/**
 * Reads `metadata.yaml` text back into a plain object. Throws {@link CorruptRunFileError}
 * when the text is not YAML or not a map.
 */
export function parseMetadata(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = yaml().parse(text);
  } catch (err) {
    throw new CorruptRunFileError('metadata.yaml is not valid YAML', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptRunFileError('metadata.yaml does not hold a map of fields');
  }
  return value as Record<string, unknown>;
}

function agentFields(runId: string, run: AgentRunRecord, counts: MetadataCounts): Record<string, unknown> {
  return {
    run_id: runId,
    agent_id: run.agentId,
    agent_name: run.agentName,
    ...timing(run),
    status: run.status,
    exit_code: run.exitCode,
    provider: run.provider,
    model: run.model,
    temperature: tidy(run.temperature),
    tokens_used: run.usage.input + run.usage.output,
    cost_usd: tidy(run.costUsd),
    memory_mb: tidy(run.memoryMb),
    cpu_seconds: tidy(run.cpuSeconds),
    artifacts_count: counts.artifactsCount,
    files_modified: run.filesModified,
    error_count: run.errorCount,
    ...extras(run),
  };
}

function workflowFields(runId: string, run: WorkflowRunRecord, counts: MetadataCounts): Record<string, unknown> {
  const countOf = (status: StepRecord['status']): number => run.steps.filter((s) => s.status === status).length;
  return {
    run_id: runId,
    workflow_id: run.workflowId,
    workflow_name: run.workflowName,
    ...timing(run),
    status: run.status,
    steps_total: run.steps.length,
    steps_completed: countOf('completed'),
    steps_failed: countOf('failed'),
    steps_skipped: countOf('skipped'),
    agents_used: [...run.agentsUsed],
    tokens_total: run.usage.input + run.usage.output,
    cost_total_usd: tidy(run.costUsd),
    artifacts_count: counts.artifactsCount,
    error_count: run.errorCount,
    ...extras(run),
    steps: run.steps.map(stepFields),
  };
}

function timing(run: RunCommon): Record<string, unknown> {
  const final = run.status === 'completed' || run.status === 'failed';
  const end = final ? run.completedAtMs : null;
  return {
    started_at: isoFromMillis(run.startedAtMs),
    completed_at: end === null ? null : isoFromMillis(end),
    duration_seconds: end === null ? null : seconds(Math.max(0, end - run.startedAtMs) / 1000),
  };
}

function extras(run: RunCommon): Record<string, unknown> {
  return {
    kind: run.kind,
    trace_id: run.traceId,
    service_name: run.serviceName,
    tokens_input: run.usage.input,
    tokens_output: run.usage.output,
    span_count: run.spanCount,
    replay_of: run.replayOf,
    session_id: run.sessionId,
    tokens_cache_read: run.usage.cacheRead,
    tokens_cache_write: run.usage.cacheWrite,
    tokens_reasoning: run.usage.reasoning,
    error: run.error,
    incomplete: run.incomplete,
    usage_counted_spans: [...run.usageCountedSpans],
    ...costExtras(run),
    privacy: { ...run.privacy },
    truncated: truncationFields(run.truncated ?? null),
  };
}

/** The `truncated` block: counts per limit, the parts left out (when any) and the note; null when nothing was. */
function truncationFields(truncation: RunTruncation | null): Record<string, unknown> | null {
  if (truncation === null) return null;
  const fields: Record<string, unknown> = {};
  for (const limit of TRUNCATION_LIMITS) {
    const n = truncation.counts[limit];
    if (n !== undefined && n > 0) fields[limit] = n;
  }
  if (truncation.leftOut.length > 0) fields.left_out = [...truncation.leftOut];
  fields.note = truncation.note;
  return fields;
}

/** The counts and parts left out of a `truncated` block read back from metadata.yaml. */
export function parseTruncation(value: unknown): { counts: TruncationCounts; leftOut: string[] } {
  const counts: TruncationCounts = {};
  const leftOut: string[] = [];
  if (typeof value !== 'object' || value === null) return { counts, leftOut };
  const fields = value as Record<string, unknown>;
  for (const limit of TRUNCATION_LIMITS) {
    const n = fields[limit];
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) counts[limit] = n;
  }
  if (Array.isArray(fields.left_out)) for (const part of fields.left_out) if (typeof part === 'string') leftOut.push(part);
  return { counts, leftOut };
}

function stepFields(step: StepRecord): Record<string, unknown> {
  return {
    step_id: sanitizeStepId(step.stepId),
    name: step.name,
    status: step.status,
    agent_id: step.agentId,
    started_at: isoFromMillis(step.startedAtMs),
    duration_seconds: step.status === 'running' ? null : seconds(step.durationSeconds),
  };
}

/** Rounds away binary noise (0.1 + 0.2); a value that is not a finite number is unknown. */
function tidy(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return Number.isInteger(value) ? value : Number(value.toFixed(10));
}

/** Durations to the microsecond: the precision span timestamps carry at epoch scale. */
function seconds(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return Number(value.toFixed(6));
}
