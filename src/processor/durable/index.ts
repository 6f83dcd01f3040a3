export { DurableIngest } from './durable-ingest.js';
export type { DurableIngestOptions, RecoveryStats } from './durable-ingest.js';
