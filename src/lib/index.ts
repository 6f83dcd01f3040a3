export {
  ERROR_CATALOGUE,
  GrpcCode,
  ExitCode,
  ParacleError,
  InvalidInputError,
  UnauthenticatedError,
  PermissionDeniedError,
  NotFoundError,
  MethodNotAllowedError,
  ConflictError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  RetryableError,
  ConfigError,
  StartupError,
  UnreadableFileError,
  KeyUnavailableError,
  classifyError,
  isErrorCode,
  errorCodeOfHttpStatus,
  errorOfCode,
  describeError,
} from './errors.js';
export type { ConfigIssue, ErrorCode, ErrorMapping, ClassifiedError, RetryableCode } from './errors.js';
export { writeFileAtomic } from './atomic-write.js';
export { FILE_MODE, DIR_MODE, makeDirectory, makeDirectorySync } from './private-fs.js';
export { breakLockDirectory, errnoCode } from './lock-dir.js';
export { syncPath } from './sync-path.js';
export type { AtomicWriteOptions } from './atomic-write.js';
export { nanosToMillis, isoFromMillis, millisToNanos } from './time.js';
export { slug } from './slug.js';
export { parseHostPort, tryParseHostPort, formatHostPort, isLoopback, localAddressOf } from './address.js';
export type { HostPort } from './address.js';
export { listen, listenFailure } from './listen.js';
export { Limiter } from './limiter.js';
export { startHttpListener } from './http-server.js';
export type { HttpListener, HttpListenerOptions } from './http-server.js';
export { ConnectionGuard, connectionRoom, openFileLimit } from './connection-guard.js';
export type { ConnectionGuardOptions } from './connection-guard.js';
export { roundNano } from './round.js';
export { startGrpcListener } from './grpc-server.js';
export type { GrpcListener, GrpcListenerOptions } from './grpc-server.js';
export { parseDurationMs, parseTimeBound } from './duration.js';
export { faultPoint, setFaultAction } from './fault.js';
export { jsonNestsDeeper } from './json-depth.js';
export type { FaultAction } from './fault.js';
export { packageVersion } from './version.js';
export { collectSoon, fullCollector } from './heap.js';
export { TlsSource } from './tls.js';
export type { TlsFiles, TlsSourceOptions } from './tls.js';
export { globToRegExp, globToSqlite } from './glob.js';
