import { ParacleError } from '../../lib/index.js';

/**
 * The shared backend (S3-compatible object storage or PostgreSQL) failed or is out of reach.
 * `retryable`: a network fault or a server that may come back, as opposed to a refusal a
 * person has to fix (no such bucket, bad credentials).
 */
export class SharedStoreError extends ParacleError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super('store_io', message, options);
    this.retryable = retryable;
  }
}

/**
 * Another run already holds this trace in PostgreSQL (its unique constraint): another replica
 * published the trace between this one's look-up and its write. Always retryable: the next
 * attempt finds the other run and merges into it.
 */
export class TraceClaimedError extends ParacleError {
  readonly retryable = true;
  constructor(traceId: string, runId: string) {
    super('conflict', `trace ${traceId} is already stored as another run than ${runId}; the write is tried again against that run`);
  }
}
