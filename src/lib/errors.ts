/**
 * The error catalogue. Every failure the daemon reports is one of these classes, classified
 * once as permanent (the input is bad: do not retry) or retryable (try again later), so that
 * the receivers, the API and the CLI map it to a status code from one table.
 */

/** Base class: a stable machine-readable `code` plus a one-sentence message. */
export class ParacleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The sender's data can never be accepted as sent (HTTP 400 / gRPC INVALID_ARGUMENT). */
export class InvalidInputError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_argument', message, options);
  }
}

/** The request body is larger than allowed (HTTP 413 / gRPC RESOURCE_EXHAUSTED). */
export class PayloadTooLargeError extends ParacleError {
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super('payload_too_large', `request body exceeds the limit of ${limitBytes} bytes after decompression`);
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

/**
 * The daemon is shedding load or stopping; the sender should retry after `retryAfterSeconds`
 * (HTTP 503 + Retry-After / gRPC UNAVAILABLE with RetryInfo).
 */
export class RetryableError extends ParacleError {
  readonly retryAfterSeconds: number;
  constructor(code: string, message: string, retryAfterSeconds: number) {
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

/** A requested object (run, artifact...) does not exist. */
export class NotFoundError extends ParacleError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The request clashes with the state things are in (a job already running, a run archived). */
export class ConflictError extends ParacleError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A short reason for an unknown thrown value, for logs and one-sentence errors. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
