import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { HostPort } from './address.js';
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

/**
 * Starts an HTTP server for `handler` on `address`; `what` names it in start-up errors. With
 * `tls`, it serves HTTPS and takes each new certificate the source reports.
 */
export async function startHttpListener(handler: RequestListener, address: HostPort, what: string, tls?: TlsSource | null): Promise<HttpListener> {
  const server: Server = tls ? createTlsServer(tls.serverOptions(), handler) : createServer(handler);
  if (tls) {
    const unsubscribe = tls.subscribe(() => (server as ReturnType<typeof createTlsServer>).setSecureContext(tls.contextOptions()));
    server.once('close', unsubscribe);
  }
  // Longer than the usual client idle timeouts, so clients close first and never race a close.
  server.keepAliveTimeout = 65_000;
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
