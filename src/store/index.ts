export {
  KIND_FOLDERS,
  newRunId,
  isValidRunId,
  runDirectory,
  sanitizeArtifactPath,
  sanitizeStepId,
  isInside,
} from './layout.js';
export { renderMetadata, renderMetadataFields, metadataFields, parseMetadata } from './metadata.js';
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
export type { RunWrite, WriteRunOptions, RunWriteResult, RunRef, RunFileName } from './writer.js';
export { RunFiles } from './run-io.js';
export { locateTraceRun, registerTraceRun } from './trace-map.js';
export type { TraceRunEntry } from './trace-map.js';
export { StoreError, CorruptRunFileError } from './errors.js';
export type { StoreOperation } from './errors.js';
export { measureStore } from './size.js';
export { checkRelativePath } from './run-files.js';
export { openStoredRun } from './stored-run.js';
export type { RunFileEntry } from './run-files.js';
export { isPinned, setPinned } from './pin.js';
export { RunCatalog, INDEX_FOLDER } from './catalog/catalog.js';
export type { CatalogChange, CatalogLog, RunPage, RunSummary, StatsRow } from './catalog/catalog.js';
export type { RunContent } from './catalog/entry.js';
export { checkRunQuery, MAX_LIMIT, DEFAULT_LIMIT } from './catalog/query.js';
export type { RunQuery } from './catalog/query.js';
export { STATS_DIMENSIONS, checkDimension } from './catalog/stats.js';
export type { StatsDimension, StatsGroup } from './catalog/stats.js';
export { CatalogFollower } from './catalog/follower.js';
export type { IndexedWrite, FollowerLog } from './catalog/follower.js';
export { ensureWritableRunsDir } from './runs-dir.js';
export { StoreSizeMonitor } from './size-monitor.js';
export { RunStore } from './run-store.js';
export type { RunDetail, RunFileKey, StatsQuery } from './run-store.js';
export { receiveArtifact, adoptStagedUploads, UPLOADS_FOLDER } from './uploads.js';
export type { UploadResult } from './uploads.js';
export { archiveRun } from './archive/pack.js';
export { retireRunDirectory, finishInterruptedMoves } from './archive/retire.js';
export { listArchives, deleteArchive } from './archive/list.js';
export { readArchiveManifest } from './archive/read.js';
export { compressRunFile } from './compression.js';
export { trimTrace, trimRunTrace } from './trace-trim.js';
