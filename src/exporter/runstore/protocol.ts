import type { MaterializeJob, MaterializeOutcome } from './materializer.js';
import type { TraceRun } from './trace-runs.js';

/**
 * A message to a materializer worker: write one trace, count a run's artifacts again after
 * an upload, or sync what was written.
 */
export type Request =
  | { id: number; type: 'job'; job: MaterializeJob }
  | { id: number; type: 'artifacts'; traceId: string; location: TraceRun | null }
  | { id: number; type: 'sync' };

/** A worker's answer to request `id` (id 0: the worker is ready). */
export type Reply =
  | { id: number; ok: true; value: MaterializeOutcome | null }
  | { id: number; ok: false; error: WorkerError };

/** An error as it crosses the thread boundary: its name, message and the codes along its causes. */
export interface WorkerError {
  name: string;
  message: string;
  /** Every `code` along the error and its causes (`store_io`, `ENOSPC`...), outermost first. */
  codes: string[];
}

/** `err` as a {@link WorkerError}. */
export function errorMessage(err: unknown): WorkerError {
  const codes: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') codes.push(code);
  }
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err), codes };
}

/** The error to throw on the pool's side for a {@link WorkerError}: its codes as a chain of causes. */
export function workerFailure(error: WorkerError): Error {
  let cause: Error | undefined;
  for (const code of [...error.codes].reverse()) cause = Object.assign(new Error(error.message, { cause }), { code });
  return Object.assign(new Error(error.message, { cause }), { name: error.name });
}
