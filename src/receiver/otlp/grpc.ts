import { format } from 'node:util';
import { Metadata, setLogger, status, type sendUnaryData, type Server, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { encodeExportResponse, encodeStatus, otlpRoot, type Signal } from '../../codec/otlp/index.js';
import { startGrpcListener, type GrpcListener, type GrpcListenerOptions, type HostPort } from '../../lib/index.js';
import type { Component } from '../../contracts/index.js';
import { ingest, type IngestTarget } from './ingest.js';
import { answerFor } from './status.js';

/** Options of the OTLP/gRPC receiver. */
export interface OtlpGrpcOptions {
  address: HostPort;
  /** Largest request message accepted, after decompression (`ingest.max_body_bytes`). */
  maxMessageBytes: number;
  /** How long shutdown waits for calls in progress before cutting them. */
  shutdownGraceMs?: number;
  /** Connection budget and idle timeout (`daemon.*`). */
  listener?: GrpcListenerOptions;
}

const SERVICES: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
};

// Messages stay bytes in and out: the codec decodes them exactly as it does OTLP/HTTP bodies.
const passBytes = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The grpc-js definition of one OTLP collector service, its method path taken from the schema. */
function serviceDefinition(signal: Signal): ServiceDefinition {
  const service = otlpRoot.lookupService(SERVICES[signal]);
  return {
    Export: {
      path: `/${service.fullName.slice(1)}/${service.methods.Export!.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: passBytes,
      requestDeserialize: passBytes,
      responseSerialize: passBytes,
      responseDeserialize: passBytes,
    },
  };
}

/**
 * OTLP/gRPC: `TraceService/Export` and `LogsService/Export`, gzip or identity, on the ingest
 * path of OTLP/HTTP. Answers with the spec's codes: INVALID_ARGUMENT for bad data,
 * RESOURCE_EXHAUSTED for a message over the limit (grpc-js checks it, decompressed too),
 * UNAVAILABLE with a google.rpc.RetryInfo detail when shedding load or stopping.
 */
export class OtlpGrpcReceiver implements Component {
  private listener: GrpcListener | undefined;

  constructor(
    private readonly options: OtlpGrpcOptions,
    private readonly target: IngestTarget,
  ) {}

  /** The bound address; valid after start(). */
  get address(): HostPort {
    if (!this.listener) throw new Error('OTLP/gRPC receiver not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    // grpc-js writes its own lines to stderr, which carries only the daemon's JSON lines.
    // What it reports (a failed bind...) is answered or raised by this receiver anyway.
    const logger = this.target.logger;
    const debug = (...args: unknown[]): void => logger.debug({ source: 'grpc-js' }, format(...args));
    setLogger({ error: debug, info: debug, debug });
    const maxBytes = this.options.maxMessageBytes;
    this.listener = await startGrpcListener(
      (server) => this.addServices(server),
      this.options.address,
      'OTLP/gRPC',
      { 'grpc.max_receive_message_length': maxBytes },
      this.options.listener,
    );
  }

  /** Stops taking calls and waits (bounded) for calls in progress to be answered. */
  async shutdown(): Promise<void> {
    await this.listener?.close(this.options.shutdownGraceMs ?? 5000);
  }

  private addServices(server: Server): void {
    for (const signal of ['traces', 'logs'] as const) {
      server.addService(serviceDefinition(signal), {
        Export: (call: ServerUnaryCall<Buffer, Uint8Array>, done: sendUnaryData<Uint8Array>) => {
          const authorization = call.metadata.get('authorization')[0];
          this.export(signal, call.request, typeof authorization === 'string' ? authorization : undefined, done);
        },
      });
    }
  }

  private export(signal: Signal, body: Buffer, authorization: string | undefined, done: sendUnaryData<Uint8Array>): void {
    const refused = this.target.gate?.admit(authorization);
    (refused ? refused.then(() => ingest(signal, body, 'protobuf', 'grpc', this.target)) : ingest(signal, body, 'protobuf', 'grpc', this.target)).then(
      (partial) => done(null, encodeExportResponse(signal, partial, 'protobuf')),
      (err: unknown) => {
        const answer = answerFor(err);
        if (answer.rpcCode === status.INTERNAL) this.target.logger.error({ err }, 'OTLP/gRPC call failed');
        const metadata = new Metadata();
        metadata.set('grpc-status-details-bin', Buffer.from(encodeStatus(answer.rpcCode, answer.message, 'protobuf', answer.retryAfterSeconds)));
        done({ code: answer.rpcCode, details: answer.message, metadata });
      },
    );
  }
}
