export {
  KIND_FOLDERS,
  newRunId,
  isValidRunId,
  runDirectory,
  sanitizeArtifactPath,
  sanitizeStepId,
  isInside,
} from './layout.js';
export { renderMetadata, parseMetadata } from './metadata.js';
export type { MetadataCounts } from './metadata.js';
export { formatLogLine, renderLogs, mergeLogs } from './logs-format.js';
export { appendUntracedLogs, UNTRACED_FOLDER } from './untraced.js';
export { writeArtifacts, countFiles } from './artifacts.js';
export type { SkippedArtifact, ArtifactsOutcome } from './artifacts.js';
export { writeRun, moveRun, readRunFile, removeRun, appendRunLogs } from './writer.js';
export type { RunWrite, WriteRunOptions, RunWriteResult, RunLocation, RunFileName } from './writer.js';
export { StoreError, CorruptRunFileError } from './errors.js';
export type { StoreOperation } from './errors.js';
