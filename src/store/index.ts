export {
  KIND_FOLDERS,
  newRunId,
  isValidRunId,
  runDirectory,
  sanitizeArtifactPath,
  sanitizeStepId,
  isInside,
} from './layout.js';
export { renderMetadata, renderMetadataFields, parseMetadata } from './metadata.js';
export { costExtras, readMetadataCost, withMetadataCost } from './metadata-cost.js';
export type { MetadataCost } from './metadata-cost.js';
export { listRunLocations, writeRunMetadata } from './reader.js';
export type { StoredRunLocation } from './reader.js';
export type { MetadataCounts } from './metadata.js';
export { formatLogLine, renderLogs, mergeLogs } from './logs-format.js';
export { appendUntracedLogs, UNTRACED_FOLDER } from './untraced.js';
export { writeArtifacts, countFiles } from './artifacts.js';
export type { SkippedArtifact, ArtifactsOutcome } from './artifacts.js';
export { writeRun, moveRun, readRunFile, removeRun, appendRunLogs } from './writer.js';
export type { RunWrite, WriteRunOptions, RunWriteResult, RunLocation, RunFileName } from './writer.js';
export { writeTraceRun, readTraceRun } from './trace-map.js';
export type { TraceRunEntry } from './trace-map.js';
export { StoreError, CorruptRunFileError } from './errors.js';
export type { StoreOperation } from './errors.js';
export { measureStore } from './size.js';
