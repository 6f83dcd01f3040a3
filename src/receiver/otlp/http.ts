import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeExportResponse, encodeStatus, type Signal, type WireFormat } from '../../codec/otlp/index.js';
import {
  GrpcCode,
  MethodNotAllowedError,
  NotFoundError,
  RetryableError,
  startHttpListener,
  UnsupportedMediaTypeError,
  type HostPort,
  type HttpListener,
  type HttpListenerOptions,
} from '../../lib/index.js';
import type { Component } from '../../contracts/index.js';
import type { IngestProtocol } from '../../telemetry/index.js';
import { readBody } from './body.js';
import { ingest, type IngestTarget } from './ingest.js';
import { answerFor } from './status.js';

/** Options of the OTLP/HTTP receiver. */
export interface OtlpHttpOptions {
  address: HostPort;
  maxBodyBytes: number;
  /** Connection budget and timeouts (`daemon.*`). */
  listener?: Omit<HttpListenerOptions, 'busy'>;
}

const MEDIA_TYPES: Record<string, WireFormat> = {
  'application/x-protobuf': 'protobuf',
  'application/json': 'json',
};
const SUPPORTED = Object.keys(MEDIA_TYPES);
const CONTENT_TYPE: Record<WireFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
const PROTOCOL: { [F in WireFormat]: IngestProtocol } = { protobuf: 'http_protobuf', json: 'http_json' };
const SIGNAL_PATHS = new Map<string, Signal>([['/v1/traces', 'traces'], ['/v1/logs', 'logs']]);
// A body refused for its size is still read (and dropped) up to this much, so the sender
// gets to read the 413 instead of a reset; past it the connection is closed.
const DRAIN_BYTES = 64 * 1024 * 1024;
const BUSY = {
  contentType: CONTENT_TYPE.json,
  body: (message: string) => encodeStatus(GrpcCode.UNAVAILABLE, message, 'json', 1),
};

/**
 * OTLP/HTTP on `POST /v1/traces` and `POST /v1/logs`, answering as the Collector's
 * otlpreceiver does: the response is encoded like the request, errors carry a
 * google.rpc.Status, load shedding is 503 with Retry-After. During shutdown it refuses new
 * requests and lets running ones finish.
 */
export class OtlpHttpReceiver implements Component {
  private listener: HttpListener | undefined;
  private draining = false;

  constructor(
    private readonly options: OtlpHttpOptions,
    private readonly target: IngestTarget,
  ) {}

  /** The bound address; valid after start(). */
  get address(): HostPort {
    if (!this.listener) throw new Error('OTLP/HTTP receiver not started');
    return this.listener.address;
  }

  async start(): Promise<void> {
    this.listener = await startHttpListener((req, res) => void this.handle(req, res), this.options.address, 'OTLP/HTTP', {
      ...this.options.listener,
      busy: BUSY,
    });
  }

  /** Stops accepting connections and waits for requests in progress to be answered. */
  async shutdown(): Promise<void> {
    this.draining = true;
    await this.listener?.close('graceful');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const signal = SIGNAL_PATHS.get(path ?? '');
    if (!signal) {
      req.resume();
      return this.reject(res, 'json', new NotFoundError(`no OTLP endpoint at ${path}; traces go to /v1/traces, logs to /v1/logs`));
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'POST');
      return this.reject(res, 'json', new MethodNotAllowedError(req.method ?? '', ['POST']));
    }
    if (this.draining) {
      res.setHeader('Connection', 'close');
      req.resume();
      return this.reject(res, 'json', new RetryableError('unavailable', 'the daemon is shutting down', 5));
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    const format = MEDIA_TYPES[mediaType];
    try {
      const refused = this.target.gate?.admit(req.headers.authorization);
      if (refused) await refused;
    } catch (err) {
      req.resume();
      return this.reject(res, format ?? 'json', err);
    }
    if (!format) {
      req.resume();
      return this.reject(res, 'json', new UnsupportedMediaTypeError(mediaType || '(none)', SUPPORTED));
    }
    try {
      await this.export(req, res, signal, format);
    } catch (err) {
      this.reject(res, format, err, req);
    }
  }

  private async export(req: IncomingMessage, res: ServerResponse, signal: Signal, format: WireFormat): Promise<void> {
    const body = await readBody(req, this.options.maxBodyBytes);
    const partial = await ingest(signal, body, format, PROTOCOL[format], this.target);
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE[format] });
    res.end(encodeExportResponse(signal, partial, format));
  }

  private reject(res: ServerResponse, format: WireFormat, err: unknown, req?: IncomingMessage): void {
    const answer = answerFor(err);
    if (answer.httpStatus >= 500 && answer.retryAfterSeconds === null) {
      this.target.logger.error({ err }, 'OTLP/HTTP request failed');
    }
    if (answer.retryAfterSeconds !== null) res.setHeader('Retry-After', String(answer.retryAfterSeconds));
    if (answer.httpStatus === 413 && req) drainOrClose(req, res);
    if (answer.httpStatus === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="paracle"');
    res.writeHead(answer.httpStatus, { 'Content-Type': CONTENT_TYPE[format] });
    res.end(encodeStatus(answer.rpcCode, answer.message, format, answer.retryAfterSeconds));
  }
}

/**
 * After a 413 the connection closes once the answer is sent, and the rest of the body is read
 * and dropped meanwhile (within the request timeout), so the sender, still writing, can read
 * the answer instead of a reset; a body declared past {@link DRAIN_BYTES} is not worth reading.
 */
function drainOrClose(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (!(declared > DRAIN_BYTES)) req.resume();
}
