export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { Metrics } from './metrics.js';
export type {
  IngestProtocol,
  IngestOutcome,
  MetricsOptions,
  RunFinished,
  StepFinished,
  UsageIncrement,
} from './metrics.js';
export type { RunningRun } from './gauges.js';
export { OTHER_LABEL } from './label-bound.js';
