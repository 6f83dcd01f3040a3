import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConflictError,
  ERROR_CATALOGUE,
  ExitCode,
  GrpcCode,
  InvalidInputError,
  MethodNotAllowedError,
  NotFoundError,
  ParacleError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RetryableError,
  StartupError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  classifyError,
  errorCodeOfHttpStatus,
  errorOfCode,
  isErrorCode,
  type ErrorCode,
} from '../../../src/lib/index.js';

// The HTTP statuses INTERFACE.md §4 and §5 allow, and the exit codes of §1.
const HTTP_STATUSES = [400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503];
const EXIT_CODES: readonly number[] = Object.values(ExitCode);

describe('the error catalogue', () => {
  it.each(Object.entries(ERROR_CATALOGUE))('%s maps to a status the contract allows', (_code, mapping) => {
    expect(HTTP_STATUSES).toContain(mapping.http);
    expect(Object.values(GrpcCode)).toContain(mapping.grpc);
    expect(EXIT_CODES).toContain(mapping.exit);
  });

  it.each([
    [new InvalidInputError('bad'), 400, GrpcCode.INVALID_ARGUMENT, ExitCode.usage],
    [new UnauthenticatedError('no token'), 401, GrpcCode.UNAUTHENTICATED, ExitCode.failure],
    [new PermissionDeniedError('viewer'), 403, GrpcCode.PERMISSION_DENIED, ExitCode.failure],
    [new NotFoundError('no run'), 404, GrpcCode.NOT_FOUND, ExitCode.notFound],
    [new MethodNotAllowedError('PATCH', ['GET']), 405, GrpcCode.UNIMPLEMENTED, ExitCode.usage],
    [new ConflictError('busy'), 409, GrpcCode.ABORTED, ExitCode.failure],
    [new PayloadTooLargeError(10), 413, GrpcCode.RESOURCE_EXHAUSTED, ExitCode.failure],
    [new UnsupportedMediaTypeError('text/plain', ['application/json']), 415, GrpcCode.INVALID_ARGUMENT, ExitCode.failure],
    [new RetryableError('overloaded', 'full', 7), 503, GrpcCode.UNAVAILABLE, ExitCode.failure],
    [new ConfigError('x.yaml', [{ path: 'a', message: 'b' }]), 500, GrpcCode.INTERNAL, ExitCode.failure],
    [new StartupError('port in use'), 500, GrpcCode.INTERNAL, ExitCode.failure],
  ])('classifies %s', (err, http, grpc, exit) => {
    expect(classifyError(err)).toMatchObject({ code: err.code, http, grpc, exit, message: err.message });
  });

  it('classifies anything not a ParacleError as internal, without its message', () => {
    expect(classifyError(new TypeError('x is undefined'))).toEqual({
      code: 'internal',
      ...ERROR_CATALOGUE.internal,
      message: null,
      retryAfterSeconds: null,
    });
  });

  it('gives every 503 a Retry-After and nothing else one', () => {
    expect(classifyError(new RetryableError('unavailable', 'stopping', 5)).retryAfterSeconds).toBe(5);
    expect(classifyError(new ParacleError('unavailable', 'no delay given')).retryAfterSeconds).toBeGreaterThan(0);
    expect(classifyError(new NotFoundError('x')).retryAfterSeconds).toBeNull();
  });

  it('reads every 4xx and 503 answer back as the error that made it', () => {
    const answered = Object.values(ERROR_CATALOGUE).filter((m) => m.http !== 500);
    for (const { http } of answered) {
      const code = errorCodeOfHttpStatus(http);
      expect(code, `status ${http}`).not.toBeNull();
      expect(classifyError(errorOfCode(code!, 'from the daemon')).http).toBe(http);
    }
    expect(errorOfCode('not_found', 'gone')).toBeInstanceOf(NotFoundError);
    expect(errorOfCode('invalid_argument', 'bad')).toBeInstanceOf(InvalidInputError);
    expect(errorCodeOfHttpStatus(418)).toBeNull();
  });

  it('knows its codes', () => {
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });
});
