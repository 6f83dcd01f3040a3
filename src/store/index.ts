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
export { formatLogLine, renderLogs } from './logs-format.js';
export { writeArtifacts, countFiles } from './artifacts.js';
export type { SkippedArtifact, ArtifactsOutcome } from './artifacts.js';
export { writeRun, moveRun, readRunFile, removeRun } from './writer.js';
export type { RunWrite, WriteRunOptions, RunWriteResult, RunLocation, RunFileName } from './writer.js';
export { StoreError, CorruptRunFileError } from './errors.js';
export type { StoreOperation } from './errors.js';
export { locateRun, listFiles, checkRelativePath, resolveFileInside, openFile } from './run-files.js';
export type { RunFileEntry } from './run-files.js';
export { isPinned, setPinned } from './pin.js';
export { RunCatalog, INDEX_FOLDER } from './catalog/catalog.js';
export type { CatalogLog, RunPage, StatsRow } from './catalog/catalog.js';
export { checkRunQuery, MAX_LIMIT, DEFAULT_LIMIT } from './catalog/query.js';
export type { RunQuery } from './catalog/query.js';
export { STATS_DIMENSIONS, checkDimension } from './catalog/stats.js';
export type { StatsDimension, StatsGroup } from './catalog/stats.js';
export { watchRuns } from './catalog/watch.js';
export type { RunWatcher } from './catalog/watch.js';
export { RunStore } from './run-store.js';
export type { RunDetail, RunFileKey, StatsQuery } from './run-store.js';
export { receiveArtifact, adoptStagedUploads, UPLOADS_FOLDER } from './uploads.js';
export type { UploadResult } from './uploads.js';
