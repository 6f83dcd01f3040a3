import { ParacleError } from '../lib/index.js';

/** File-system operations the store performs, named in {@link StoreError}. */
export type StoreOperation = 'mkdir' | 'write' | 'read' | 'readdir' | 'rename' | 'remove' | 'resolve';

// Conditions that may clear up on their own (space freed, descriptors released, a busy
// device); everything else (EACCES, EROFS, ENOTDIR...) needs a person to fix it.
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'EIO',
  'ETIMEDOUT',
]);

/**
 * A file-system operation on the run store failed. Carries the operation, the path it was
 * applied to, the errno code (`EACCES`, `ENOSPC`... or null when the cause had none) and the
 * original error as `cause`. `retryable` says whether trying again later may succeed.
 */
export class StoreError extends ParacleError {
  readonly operation: StoreOperation;
  readonly path: string;
  readonly errnoCode: string | null;
  readonly retryable: boolean;
  constructor(operation: StoreOperation, path: string, cause: unknown) {
    const errnoCode = errnoOf(cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('store_io', `run store could not ${operation} ${path}: ${reason}`, { cause });
    this.operation = operation;
    this.path = path;
    this.errnoCode = errnoCode;
    this.retryable = errnoCode !== null && RETRYABLE_CODES.has(errnoCode);
  }
}

/** A run file exists but does not hold what the store writes (e.g. metadata.yaml not a map). */
export class CorruptRunFileError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('corrupt_run_file', message, options);
  }
}

/**
 * A run's trace is larger than a reader holds in memory at once (HTTP 413); the file itself
 * is intact and `paracle runs export` or `/trace` still stream it.
 */
export class TraceTooLargeError extends ParacleError {
  constructor(runId: string, limitBytes: number) {
    super('payload_too_large', `the trace.json of run ${runId} is larger than the ${limitBytes} bytes a span view reads; stream it from /trace instead`);
  }
}

/** The errno code (`ENOENT`...) of a thrown value, or null when it has none. */
export function errnoOf(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || !('code' in err)) return null;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/**
 * Runs one file-system operation, turning any failure into a {@link StoreError} naming
 * `operation` and `path`. A ParacleError thrown inside (a StoreError, a file that does not
 * decrypt) passes through unchanged.
 */
export async function storeOp<T>(operation: StoreOperation, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ParacleError) throw err;
    throw new StoreError(operation, path, err);
  }
}

/** {@link storeOp} for a synchronous operation. */
export function storeOpSync<T>(operation: StoreOperation, path: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ParacleError) throw err;
    throw new StoreError(operation, path, err);
  }
}
