import { classifyError } from '../../lib/index.js';

/** How one error is answered over HTTP and gRPC. */
export interface ErrorAnswer {
  httpStatus: number;
  rpcCode: number;
  message: string;
  /** Seconds for `Retry-After` / RetryInfo, only for retryable errors. */
  retryAfterSeconds: number | null;
}

/**
 * The OTLP answer to `err`, from the error catalogue's row (`lib/errors.ts`): permanent
 * input errors are 4xx, load shedding is 503 with Retry-After, anything else 500.
 */
export function answerFor(err: unknown): ErrorAnswer {
  const { http, grpc, message, retryAfterSeconds } = classifyError(err);
  return { httpStatus: http, rpcCode: grpc, message: message ?? 'internal error while handling the request', retryAfterSeconds };
}
