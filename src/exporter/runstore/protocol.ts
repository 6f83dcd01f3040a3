import type { PackedBatch } from '../../codec/otlp/index.js';
import type { AssembledTrace, Origin, Span } from '../../model/index.js';
import type { MaterializeOutcome } from './materializer.js';
import type { TraceRun } from './trace-runs.js';

/**
 * A trace as it crosses to a worker: what the worker reads of it, with its spans either as
 * the assembler holds them (packed in one transferred buffer, decoded in the worker, so the
 * event loop never decodes nor clones a large trace) or decoded.
 */
export interface WireTrace extends Pick<AssembledTrace, 'traceId' | 'phase' | 'logs' | 'late' | 'truncated'> {
  spans: Span[] | { packed: PackedBatch; origins: readonly Origin[] };
}

/** One trace to write, with where its run lives now, as it crosses to a worker. */
export interface WireJob {
  trace: WireTrace;
  location: TraceRun | null;
  /**
   * Names added to the sending thread's packed-span name table since its previous job to
   * this worker (the worker appends them to its copy before it unpacks).
   */
  names: string[];
}

/**
 * A message to a materializer worker: write one trace, count a run's artifacts again after
 * an upload, or sync what was written.
 */
export type Request =
  | { id: number; type: 'job'; job: WireJob }
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
