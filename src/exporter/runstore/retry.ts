import { SharedStoreError, TraceClaimedError } from '../../store/index.js';

/** Errno codes of store writes that may succeed later (disk freed, permissions fixed...). */
const RETRYABLE_CODES = new Set([
  'EACCES',
  'EPERM',
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'EAGAIN',
  'EROFS',
]);

/**
 * True when a failed write is worth retrying: the data is fine, the disk is not; or the
 * shared backend says so (`retryable`: out of reach for now, or another replica took the
 * trace first).
 */
export function isRetryableWriteError(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && RETRYABLE_CODES.has(code)) return true;
    if (e instanceof SharedStoreError || e instanceof TraceClaimedError) return e.retryable;
  }
  return false;
}

/** Exponential backoff from 100 ms, capped at 5 s so a freed disk is used again quickly. */
export function backoffMs(attempt: number): number {
  return Math.min(5_000, 100 * 2 ** attempt);
}
