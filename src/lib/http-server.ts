import { createServer, type RequestListener, type Server } from 'node:http';
import type { HostPort } from './address.js';
import { listen } from './listen.js';

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

/** Starts an HTTP server for `handler` on `address`; `what` names it in start-up errors. */
export async function startHttpListener(handler: RequestListener, address: HostPort, what: string): Promise<HttpListener> {
  const server = createServer(handler);
  // Longer than the usual client idle timeouts, so clients close first and never race a close.
  server.keepAliveTimeout = 65_000;
  const bound = await listen(server, address, what);
  return {
    server,
    address: bound,
    close: (mode) =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        if (mode === 'now') server.closeAllConnections();
        else server.closeIdleConnections();
      }),
  };
}
