import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { HostPort } from './address.js';
import type { ConnectionGuard } from './connection-guard.js';
import { listen } from './listen.js';
import type { TlsSource } from './tls.js';

/** A started HTTP listener. */
export interface HttpListener {
  server: Server;
  address: HostPort;
  /**
   * Stops accepting connections. `graceful` lets requests in progress finish (idle keep-alive
   * connections are closed at once); `now` also cuts the busy ones.
   */
  close(mode: 'graceful' | 'now'): Promise<void>;
}

/** How a listener treats its connections (the `daemon.*` connection settings). */
export interface HttpListenerOptions {
  /** The connection budget shared by every listener; unbounded without. */
  guard?: ConnectionGuard;
  /** The request's headers must arrive within this long, else 408 and close. */
  headerTimeoutMs?: number;
  /** The whole request must arrive within this long, else 408 and close. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. */
  idleTimeoutMs?: number;
  /** The body of a 503 answered while shedding load (the listener's own error format). */
  busy?: { contentType: string; body: (message: string) => string | Uint8Array };
  /** Serve HTTPS, taking each new certificate the source reports. */
  tls?: TlsSource | null;
}

const DEFAULT_BUSY = {
  contentType: 'application/json',
  body: (message: string) => JSON.stringify({ error: { code: 'unavailable', message } }),
};
// Timeouts are enforced by a periodic check; once a second keeps them close to what is set.
const TIMEOUT_CHECK_MS = 1000;
const RETRY_AFTER_SECONDS = 1;

/**
 * Starts an HTTP server for `handler` on `address`; `what` names it in start-up errors. Its
 * connections count against `options.guard`: a connection the guard does not admit, and
 * every request while the process is short of file descriptors, is answered 503 with
 * Retry-After and closed. An accept that fails for lack of descriptors does not stop the
 * server; it puts the guard under pressure. With `options.tls` it serves HTTPS.
 */
export async function startHttpListener(
  handler: RequestListener,
  address: HostPort,
  what: string,
  options: HttpListenerOptions = {},
): Promise<HttpListener> {
  const { guard } = options;
  const shed = new WeakSet<Socket>();
  const busy = options.busy ?? DEFAULT_BUSY;
  const guarded = (req: IncomingMessage, res: ServerResponse): void => {
    if (shed.has(req.socket)) return answerBusy(req, res, busy, 'the daemon has too many connections open; retry later');
    if (guard?.underPressure) return answerBusy(req, res, busy, 'the daemon is short of file descriptors; retry later');
    handler(req, res);
  };
  const requestTimeout = options.requestTimeoutMs ?? 300_000;
  const { tls } = options;
  const httpOptions = {
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    requestTimeout,
    headersTimeout: Math.min(options.headerTimeoutMs ?? 60_000, requestTimeout),
  };
  const server: Server = tls ? createTlsServer({ ...httpOptions, ...tls.serverOptions() }, guarded) : createServer(httpOptions, guarded);
  if (tls) {
    const unsubscribe = tls.subscribe(() => (server as ReturnType<typeof createTlsServer>).setSecureContext(tls.contextOptions()));
    server.once('close', unsubscribe);
  }
  // Longer than the usual client idle timeouts, so clients close first and never race a close.
  server.keepAliveTimeout = options.idleTimeoutMs ?? 65_000;
  server.on('connection', (socket: Socket) => {
    if (!guard || guard.admit(socket)) return;
    // Answered and closed at once: waiting for its request would let a client that never
    // finishes one hold the descriptor anyway.
    shed.add(socket);
    // Under TLS a plaintext answer would be garbage to the client: it is cut instead; and so
    // is one of a burst, whose answers would hold the descriptors the store needs.
    if (tls || !guard.mayAnswer(socket)) socket.destroy();
    else socket.end(rawBusy(busy, 'the daemon has too many connections open; retry later'));
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') guard?.noteExhausted();
  });
  const answering = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    answering.add(res);
    res.once('close', () => answering.delete(res));
  });
  const bound = await listen(server, address, what);
  return {
    server,
    address: bound,
    close: (mode) =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        if (mode === 'now') return server.closeAllConnections();
        server.closeIdleConnections();
        // A connection busy now would idle in keep-alive once answered, and close() would
        // wait for its timeout: the answer says `Connection: close`, and the idle is cut.
        for (const res of answering) {
          if (!res.headersSent) res.shouldKeepAlive = false;
          res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
        }
      }),
  };
}

/** A whole 503 response, written to a socket before any request was read from it. */
function rawBusy(busy: NonNullable<HttpListenerOptions['busy']>, message: string): Buffer {
  const body = Buffer.from(busy.body(message));
  const head = [
    'HTTP/1.1 503 Service Unavailable',
    `Content-Type: ${busy.contentType}`,
    `Content-Length: ${body.length}`,
    `Retry-After: ${RETRY_AFTER_SECONDS}`,
    'Connection: close',
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]);
}

function answerBusy(req: IncomingMessage, res: ServerResponse, busy: NonNullable<HttpListenerOptions['busy']>, message: string): void {
  req.resume();
  res.writeHead(503, { 'Content-Type': busy.contentType, 'Retry-After': String(RETRY_AFTER_SECONDS), Connection: 'close' });
  res.end(busy.body(message));
}
