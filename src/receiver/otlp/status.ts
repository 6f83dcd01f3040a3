import {
  InvalidInputError,
  ParacleError,
  PayloadTooLargeError,
  RetryableError,
  UnsupportedMediaTypeError,
} from '../../lib/index.js';

/** google.rpc.Code values used in OTLP responses. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  NOT_FOUND: 5,
  UNIMPLEMENTED: 12,
} as const;

/** How one error is answered over HTTP and gRPC. */
export interface ErrorAnswer {
  httpStatus: number;
  rpcCode: number;
  message: string;
  /** Seconds for `Retry-After` / RetryInfo, only for retryable errors. */
  retryAfterSeconds: number | null;
}

/**
 * The one table from error class to protocol answer (the Collector's `internal/errors`):
 * permanent input errors are 4xx, load shedding is 503 with Retry-After, anything else 500.
 */
export function answerFor(err: unknown): ErrorAnswer {
  if (err instanceof RetryableError) {
    return { httpStatus: 503, rpcCode: RpcCode.UNAVAILABLE, message: err.message, retryAfterSeconds: err.retryAfterSeconds };
  }
  if (err instanceof PayloadTooLargeError) {
    return { httpStatus: 413, rpcCode: RpcCode.RESOURCE_EXHAUSTED, message: err.message, retryAfterSeconds: null };
  }
  if (err instanceof UnsupportedMediaTypeError) {
    return { httpStatus: 415, rpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, retryAfterSeconds: null };
  }
  if (err instanceof InvalidInputError) {
    return { httpStatus: 400, rpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, retryAfterSeconds: null };
  }
  const message = err instanceof ParacleError ? err.message : 'internal error while handling the request';
  return { httpStatus: 500, rpcCode: RpcCode.INTERNAL, message, retryAfterSeconds: null };
}
