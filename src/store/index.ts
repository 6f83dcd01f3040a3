/**
 * The run store (docs/store.md): what the other modules use of it. Its internals are
 * imported by path in tests only.
 */
export { newRunId, runDirectory } from './layout.js';
export { renderMetadataFields, parseMetadata, parseTruncation } from './metadata.js';
export { readMetadataCost, withMetadataCost } from './metadata-cost.js';
export { listRunLocations, writeRunMetadata } from './reader.js';
export type { StoredRunLocation } from './reader.js';
export { appendUntracedLogs } from './untraced.js';
export { writeRun, moveRun, readRunFile, appendRunLogs, refreshArtifactsCount } from './writer.js';
export type { RunRef } from './writer.js';
export { RunFiles } from './run-io.js';
export type { FileContent } from './run-io.js';
export { directoryBytesSync } from './size.js';
export { locateTraceRun, registerTraceRun, traceRunEntry } from './trace-map.js';
export type { TraceRunEntry } from './trace-map.js';
export { StoreError, CorruptRunFileError } from './errors.js';
export { checkRelativePath, noSuchRun } from './run-files.js';
export { openStoredRun } from './stored-run.js';
export type { RunFileEntry } from './run-files.js';
export { setPinned } from './pin.js';
export { RunCatalog } from './catalog/catalog.js';
export type { CatalogChange, RunSummary } from './catalog/catalog.js';
export { checkRunQuery, MAX_LIMIT, DEFAULT_LIMIT } from './catalog/query.js';
export type { RunQuery, SubjectFilter } from './catalog/query.js';
export { STATS_DIMENSIONS } from './catalog/stats.js';
export { MAX_BUCKETS, MAX_SERIES } from './catalog/series.js';
export { MAX_SPAN_PAGE, DEFAULT_SPAN_PAGE } from './spans.js';
export type { CallPricer } from './spans.js';
// The shape lives in model/ (the web UI reads it too); named here for the store's callers.
export type { StatsGroup } from '../model/index.js';
export { CatalogFollower } from './catalog/follower.js';
export type { IndexedWrite } from './catalog/follower.js';
export { ensureWritableRunsDir } from './runs-dir.js';
export { RunStore, shredStoredRun } from './run-store.js';
export { checkStoreFiles, storedContentFiles } from './key-check.js';
export type { FileProblem, StoreCheck } from './key-check.js';
export { registerServing, takeChangeLock, SERVING_FOLDER, CHANGE_LOCK } from './store-lock.js';
export type { StoreHold } from './store-lock.js';
export type { RunDetail, RunFileKey, StatsQuery, SeriesQuery } from './run-store.js';
export { receiveArtifact, adoptStagedUploads } from './uploads.js';
export { UploadStaging, UPLOADS_FOLDER } from './staging.js';
export type { UploadStagingOptions, StagingLog } from './staging.js';
export type { UploadResult } from './uploads.js';
export { archiveRun } from './archive/pack.js';
export { retireRunDirectory, finishInterruptedMoves } from './archive/retire.js';
export { listArchives, deleteArchive } from './archive/list.js';
export { readArchiveManifest } from './archive/read.js';
export { compressRunFile } from './compression.js';
export { trimRunTrace } from './trace-trim.js';
export type { ReplayRunWrite } from './replay-run.js';
export { openStoreEncryption, attachEncryptedStore, isEncryptedStore, pendingConversion, STORE_KEY_ID } from './encryption.js';
export type { ConversionTarget } from './encryption.js';
export { beginConversion, endConversion, convertStoreFiles } from './convert.js';
export type { FileCodec } from './codec.js';
export { shredRun } from './shred.js';
export type { ShredResult } from './shred.js';
export { RunObjects, SharedIndex, START_CURSOR, SharedStore, openSharedStore, useSharedStore, sharedStoreOf, SharedStoreError, TraceClaimedError } from './shared/index.js';
export type { RunObjectsOptions, RunChange, SharedStoreOptions, SharedTransaction, HeldLock } from './shared/index.js';
// Maintenance on the shared backend (C): archive object keys are the local archive paths.
export { ARCHIVE_FOLDER, archiveFile, runIdOfArchive } from './archive/layout.js';
export { KIND_FOLDERS } from './layout.js';
// The index mirror on the shared backend (B); CatalogFollower owns one, tests drive it alone.
export { IndexMirror } from './shared/mirror.js';
// The write path on the shared backend (A).
export { publishRun, unpublishRun, checkoutRun, dropLocalCopy, sweepLocalCopies, localRunFiles, runFolder } from './shared/index.js';
export type { PublishSource, TraceLocation, IndexClient } from './shared/index.js';
