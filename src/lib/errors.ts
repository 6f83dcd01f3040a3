/**
 * The error catalogue. Every failure the daemon or the CLI reports is a {@link ParacleError}
 * whose `code` is a row of {@link ERROR_CATALOGUE}; the row alone decides the HTTP status
 * (the API and OTLP/HTTP), the gRPC status (OTLP/gRPC) and the CLI's exit code. Transports
 * never test error classes: they call {@link classifyError}. A new failure kind is a new row
 * here (and a class when callers need to tell it apart).
 */

/** google.rpc.Code values (the gRPC status codes). */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Exit codes of every CLI command (INTERFACE.md §1). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  /** `runs replay`: a replay failed (in a batch: one whose original completed); no error row maps here. */
  regression: 4,
} as const;

/** How one error code is answered by each transport. */
export interface ErrorMapping {
  /** HTTP status of the API and of OTLP/HTTP. */
  readonly http: number;
  /** gRPC status of OTLP/gRPC ({@link GrpcCode}). */
  readonly grpc: number;
  /** Exit code of the CLI ({@link ExitCode}). */
  readonly exit: number;
}

const row = (http: number, grpc: number, exit: number): ErrorMapping => ({ http, grpc, exit });
const { failure, usage, notFound } = ExitCode;
const G = GrpcCode;

/**
 * The one table (ARCHITECTURE.md habit 4; the Collector's `internal/errors`, Fastify's
 * `lib/errors.js`). 4xx rows are the sender's to fix and never retried; 503 rows are
 * load shedding, answered with `Retry-After`; 500 rows are ours.
 */
export const ERROR_CATALOGUE = {
  invalid_argument: row(400, G.INVALID_ARGUMENT, usage),
  unauthenticated: row(401, G.UNAUTHENTICATED, failure),
  permission_denied: row(403, G.PERMISSION_DENIED, failure),
  not_found: row(404, G.NOT_FOUND, notFound),
  method_not_allowed: row(405, G.UNIMPLEMENTED, usage),
  conflict: row(409, G.ABORTED, failure),
  payload_too_large: row(413, G.RESOURCE_EXHAUSTED, failure),
  unsupported_media_type: row(415, G.INVALID_ARGUMENT, failure),
  // Shedding load or stopping: the sender retries after RetryableError.retryAfterSeconds.
  unavailable: row(503, G.UNAVAILABLE, failure),
  overloaded: row(503, G.UNAVAILABLE, failure),
  wal_unavailable: row(503, G.UNAVAILABLE, failure),
  internal: row(500, G.INTERNAL, failure),
  invalid_config: row(500, G.INTERNAL, failure),
  startup_failed: row(500, G.INTERNAL, failure),
  store_io: row(500, G.INTERNAL, failure),
  corrupt_run_file: row(500, G.INTERNAL, failure),
  // An encrypted file that does not decrypt (tampered, truncated, or its data key destroyed).
  unreadable_file: row(500, G.INTERNAL, failure),
  // No master key, or one that does not open the store's data keys.
  key_unavailable: row(500, G.INTERNAL, failure),
  maintenance_failed: row(500, G.INTERNAL, failure),
  export_failed: row(500, G.INTERNAL, failure),
  server_error: row(500, G.INTERNAL, failure),
} as const satisfies Record<string, ErrorMapping>;

/** A row of {@link ERROR_CATALOGUE}: the only codes a ParacleError may carry. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Base class: a stable machine-readable `code` (a catalogue row) plus a one-sentence message. */
export class ParacleError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The sender's data can never be accepted as sent (HTTP 400 / gRPC INVALID_ARGUMENT / exit 2). */
export class InvalidInputError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_argument', message, options);
  }
}

/** The request carries no credentials, or ones that match no token (HTTP 401); the message never repeats them. */
export class UnauthenticatedError extends ParacleError {
  constructor(message: string) {
    super('unauthenticated', message);
  }
}

/**
 * The credentials are valid but their role does not allow this, or the request is refused as
 * unsafe (a foreign `Origin` or `Host`): HTTP 403.
 */
export class PermissionDeniedError extends ParacleError {
  constructor(message: string) {
    super('permission_denied', message);
  }
}

/** A requested object (run, artifact, route...) does not exist (HTTP 404 / exit 3). */
export class NotFoundError extends ParacleError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The path exists but not for this method (HTTP 405); `allowed` goes in the `Allow` header. */
export class MethodNotAllowedError extends ParacleError {
  constructor(
    method: string,
    readonly allowed: readonly string[],
  ) {
    super('method_not_allowed', `method ${method} is not allowed here; use ${allowed.join(', ')}`);
  }
}

/** The request clashes with the state things are in (a job already running, a run archived). */
export class ConflictError extends ParacleError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * The request is larger than allowed (HTTP 413 / gRPC RESOURCE_EXHAUSTED): its body, or
 * what it decodes to (`message` then says which limit).
 */
export class PayloadTooLargeError extends ParacleError {
  readonly limitBytes: number;
  constructor(limitBytes: number, message = `request body exceeds the limit of ${limitBytes} bytes after decompression`) {
    super('payload_too_large', message);
    this.limitBytes = limitBytes;
  }
}

/** The request's media type is not one we decode (HTTP 415). */
export class UnsupportedMediaTypeError extends ParacleError {
  constructor(contentType: string, supported: readonly string[]) {
    super(
      'unsupported_media_type',
      `unsupported content type "${contentType}"; send one of: ${supported.join(', ')}`,
    );
  }
}

/** The codes of load shedding: rows answered with 503 and `Retry-After`. */
export type RetryableCode = 'unavailable' | 'overloaded' | 'wal_unavailable';

/**
 * The daemon is shedding load or stopping; the sender should retry after `retryAfterSeconds`
 * (HTTP 503 + Retry-After / gRPC UNAVAILABLE with RetryInfo).
 */
export class RetryableError extends ParacleError {
  readonly retryAfterSeconds: number;
  constructor(code: RetryableCode, message: string, retryAfterSeconds: number) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A configuration problem at a path like `paracle_config.runs.mode`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The configuration is invalid; `issues` lists every problem with its path. */
export class ConfigError extends ParacleError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | null;
  constructor(file: string | null, issues: readonly ConfigIssue[]) {
    const where = file ?? 'configuration';
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : 'invalid';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super('invalid_config', `${where} is invalid: ${summary}${more}`);
    this.issues = issues;
    this.file = file;
  }
}

/** Start-up could not complete (port in use, runs dir unwritable...). */
export class StartupError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('startup_failed', message, options);
  }
}

/**
 * An encrypted file could not be read: its header is not ours, its authentication failed
 * (a flipped byte, a truncated file) or its data key is gone (shredded). Never garbage.
 */
export class UnreadableFileError extends ParacleError {
  readonly file: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('unreadable_file', `${file} cannot be read: ${reason}`, options);
    this.file = file;
  }
}

/** No master key was given, or the one given does not open the store's data keys. */
export class KeyUnavailableError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('key_unavailable', message, options);
  }
}

/** What every transport needs to answer one error: its catalogue row and details. */
export interface ClassifiedError extends ErrorMapping {
  readonly code: ErrorCode;
  /** The error's own message; null for anything not a ParacleError (details stay in the log). */
  readonly message: string | null;
  /** Seconds for `Retry-After` / RetryInfo: set exactly when the status is 503. */
  readonly retryAfterSeconds: number | null;
}

/** Retry-After of a 503 raised without one. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** Looks `err` up in the catalogue; anything not a ParacleError is `internal`. */
export function classifyError(err: unknown): ClassifiedError {
  if (!(err instanceof ParacleError)) {
    return { code: 'internal', ...ERROR_CATALOGUE.internal, message: null, retryAfterSeconds: null };
  }
  const mapping = ERROR_CATALOGUE[err.code];
  const retryAfter = err instanceof RetryableError ? err.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
  return { code: err.code, ...mapping, message: err.message, retryAfterSeconds: mapping.http === 503 ? retryAfter : null };
}

/** True when `value` names a catalogue row. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/** The first row answered with `httpStatus` (the reverse mapping), or null when none is. */
export function errorCodeOfHttpStatus(httpStatus: number): ErrorCode | null {
  const found = Object.entries(ERROR_CATALOGUE).find(([, mapping]) => mapping.http === httpStatus);
  return found ? (found[0] as ErrorCode) : null;
}

// Rows whose class callers test with instanceof, rebuilt as that class from a remote answer.
const CLASS_OF_CODE: Partial<Record<ErrorCode, new (message: string) => ParacleError>> = {
  invalid_argument: InvalidInputError,
  unauthenticated: UnauthenticatedError,
  permission_denied: PermissionDeniedError,
  not_found: NotFoundError,
  conflict: ConflictError,
};

/** The error `code` stands for, as its own class where it has one (a remote answer read back). */
export function errorOfCode(code: ErrorCode, message: string): ParacleError {
  const ErrorClass = CLASS_OF_CODE[code];
  return ErrorClass ? new ErrorClass(message) : new ParacleError(code, message);
}

/** A short reason for an unknown thrown value, for logs and one-sentence errors. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
