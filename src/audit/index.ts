/**
 * The audit trail (INTERFACE.md §9): who did what, as hash-chained JSON lines in
 * `<runs-dir>/.audit/YYYY-MM.jsonl`.
 *
 * Recording an action from another feature:
 * - an API route: give the `Route` an `audit` action name; the router records one line per
 *   request with the caller's token name as actor. A handler calls `await
 *   request.audited()` just before its success answer (the router records the error code
 *   itself when the handler throws);
 * - daemon code outside a route: `await trail.record({ actor, action, run_id, outcome })`
 *   on the daemon's {@link AuditRecorder};
 * - a CLI command on the store: `await recordLocalAction(runsDir, { action, run_id, outcome })`.
 * Each resolves once the line is on disk: answer after it, and fail the action if it rejects.
 */
export type { AuditEntry, AuditLine } from './line.js';
export { GENESIS_HASH } from './line.js';
export { AUDIT_FOLDER } from './files.js';
export { AuditTrail } from './trail.js';
export type { AuditRecorder, AuditTrailOptions } from './trail.js';
export type { AuditLog } from './writer.js';
export { verifyAudit } from './verify.js';
export type { AuditProblem, AuditReport } from './verify.js';
export { readAudit } from './read.js';
export type { AuditFilter } from './read.js';
export { localActor, recordLocalAction } from './local.js';
