import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { ChannelOptions, Server } from '@grpc/grpc-js';
import type { HostPort } from './address.js';
import type { ConnectionGuard } from './connection-guard.js';
import { listen } from './listen.js';

/** A started gRPC server. */
export interface GrpcListener {
  server: Server;
  address: HostPort;
  /**
   * Stops accepting calls and waits up to `graceMs` for calls in progress to be answered,
   * then cuts what is left. Resolves when the server is down.
   */
  close(graceMs: number): Promise<void>;
}

/** How a gRPC listener treats its connections (the `daemon.*` connection settings). */
export interface GrpcListenerOptions {
  /** The connection budget shared by every listener; unbounded without. It also closes idle connections. */
  guard?: ConnectionGuard;
  /** An idle connection (no call) is closed after this long. */
  idleTimeoutMs?: number;
}

/**
 * Starts an insecure gRPC server on `address` with the services `setup` adds. Connections
 * are accepted here and handed to grpc-js, so they count against `options.guard` like the
 * HTTP listeners' (one not admitted is closed: the client retries, as on UNAVAILABLE) and
 * the guard closes those that stay silent. A bind failure becomes the same StartupError as
 * the HTTP listeners' (`what` names the listener).
 */
export async function startGrpcListener(
  setup: (server: Server) => void,
  address: HostPort,
  what: string,
  channelOptions: ChannelOptions = {},
  options: GrpcListenerOptions = {},
): Promise<GrpcListener> {
  // Loaded on use: grpc-js alone would double the start-up of every CLI command.
  const { Server, ServerCredentials } = await import('@grpc/grpc-js');
  const { guard } = options;
  const idle = options.idleTimeoutMs === undefined ? {} : { 'grpc.max_connection_idle_ms': options.idleTimeoutMs };
  const server = new Server({ ...channelOptions, ...idle });
  setup(server);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets: NetServer = createServer((socket: Socket) => {
    if (guard && !guard.admit(socket, true)) return void socket.destroy();
    injector.injectConnection(socket);
  });
  sockets.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') guard?.noteExhausted();
  });
  const bound = await listen(sockets, address, what);
  return { server, address: bound, close: (graceMs) => closeServer(server, sockets, graceMs) };
}

function closeServer(server: Server, sockets: NetServer, graceMs: number): Promise<void> {
  sockets.close();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
