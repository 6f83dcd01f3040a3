export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { Metrics } from './metrics.js';
export type { IngestProtocol, IngestOutcome } from './metrics.js';
