export { OtlpHttpReceiver } from './http.js';
export type { OtlpHttpOptions } from './http.js';
export { OtlpGrpcReceiver } from './grpc.js';
export type { OtlpGrpcOptions } from './grpc.js';
export type { IngestGate, IngestTarget, UntracedLogsPolicy } from './ingest.js';
export { answerFor } from './status.js';
export type { ErrorAnswer } from './status.js';
