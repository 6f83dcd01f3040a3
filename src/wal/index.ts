export { WriteAheadLog, QUARANTINE_FOLDER } from './wal.js';
export type { WalOptions, WalSync, RecoveredSegment } from './wal.js';
export { RecordType, encodeRecord, parseSegment, HEADER_BYTES } from './record.js';
export type { RecordTypeValue, WalRecord, ParsedSegment } from './record.js';
export { WalCipher } from './cipher.js';
export { checkSegments } from './check.js';
export { convertSegments } from './convert.js';
