/**
 * The shared backend (`runs.backend: shared`): run content in S3-compatible object storage,
 * the run index and trace -> run map in PostgreSQL (docs/store.md).
 */
export { RunObjects } from './objects.js';
export type { RunObjectsOptions, ObjectEntry } from './objects.js';
export { SharedIndex, START_CURSOR } from './postgres.js';
export type { TraceLocation, RunRow, PublishedRun, RunChange, HeldLock, IndexClient } from './postgres.js';
export { SharedStore, openSharedStore, useSharedStore, sharedStoreOf } from './shared-store.js';
export type { SharedStoreOptions, SharedTransaction } from './shared-store.js';
export { SharedStoreError, TraceClaimedError } from './errors.js';
export { publishRun, unpublishRun } from './publish.js';
export type { PublishSource } from './publish.js';
export { checkoutRun, dropLocalCopy, sweepLocalCopies } from './checkout.js';
export { localRunFiles, runFolder } from './run-folder.js';
