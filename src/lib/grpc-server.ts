import type { ChannelOptions, Server } from '@grpc/grpc-js';
import { formatHostPort, type HostPort } from './address.js';
import { listenFailure } from './listen.js';

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

// grpc-js reports bind failures as one message listing the underlying errors.
const ERRNO_IN_MESSAGE = /\b(E[A-Z]{3,})\b/;

/**
 * Starts an insecure gRPC server on `address` with the services `setup` adds. A bind failure
 * becomes the same StartupError as the HTTP listeners' (`what` names the listener).
 */
export async function startGrpcListener(setup: (server: Server) => void, address: HostPort, what: string, options: ChannelOptions = {}): Promise<GrpcListener> {
  // Loaded on use: grpc-js alone would double the start-up of every CLI command.
  const { Server, ServerCredentials } = await import('@grpc/grpc-js');
  const server = new Server(options);
  setup(server);
  return new Promise((resolve, reject) => {
    server.bindAsync(formatHostPort(address), ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        server.forceShutdown();
        reject(listenFailure(address, what, ERRNO_IN_MESSAGE.exec(err.message)?.[1], err.message, err));
        return;
      }
      resolve({ server, address: { host: address.host, port }, close: (graceMs) => closeServer(server, graceMs) });
    });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
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
