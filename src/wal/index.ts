export { WriteAheadLog } from './wal.js';
export type { WalOptions, RecoveredSegment } from './wal.js';
export { DurableIngest } from './durable-ingest.js';
export type { DurableIngestOptions, RecoveryStats } from './durable-ingest.js';
export { RecordType, encodeRecord, parseSegment, HEADER_BYTES } from './record.js';
export type { RecordTypeValue, WalRecord, ParsedSegment } from './record.js';
