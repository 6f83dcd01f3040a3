export type {
  AnyValue,
  KeyValue,
  Resource,
  InstrumentationScope,
  Origin,
  SpanEvent,
  SpanLink,
  Span,
  LogRecord,
} from './otlp.js';
export { StatusCode } from './otlp.js';
export type { TracePhase, AssembledTrace, HeldSpans } from './trace.js';
export type {
  RunStatus,
  RunKind,
  StepStatus,
  CostSource,
  TokenUsage,
  Artifact,
  RunLogLine,
  StepRecord,
  RunCommon,
  AgentRunRecord,
  WorkflowRunRecord,
  RunRecord,
  UsageShare,
  ModelUsage,
} from './run.js';
export { TOKEN_USAGE_KEYS, usageOf, emptyUsage } from './run.js';
export type { StorePlace, StoreSize, MaintenanceJob } from './store.js';
export { MAINTENANCE_JOBS } from './store.js';
export { plainValue, plainObject, attributeMap, anyValue } from './attributes.js';
export type { PlainValue } from './attributes.js';
export { REDACTIONS_ATTRIBUTE_PREFIX } from './privacy.js';
export { replayParentSpanId, startsRun } from './replay.js';
export type { SpanRow, SpanLlmRow, SpanPage, SpanDetail, StatsGroup, SeriesLine, StatsSeries } from './views.js';
export { TRUNCATION_LIMITS, addTruncations, isUntruncated, runTruncation } from './truncation.js';
export type { TruncationLimit, TruncationCounts, RunTruncation } from './truncation.js';
export { AUTH_FAILURE_REASONS } from './access.js';
export type { AuthFailureReason } from './access.js';
