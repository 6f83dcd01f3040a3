import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type * as GrpcJs from '@grpc/grpc-js';
import type { ChannelOptions, experimental, Server, ServerCredentials } from '@grpc/grpc-js';
import type { HostPort } from './address.js';
import type { ConnectionGuard } from './connection-guard.js';
import { listen } from './listen.js';
import type { TlsMaterial, TlsSource } from './tls.js';

type Grpc = typeof GrpcJs;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;
type CertificateProvider = experimental.CertificateProvider;

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
  /** Serve over TLS (mutual when it has a client CA), following its certificate changes. */
  tls?: TlsSource | null;
}

/**
 * Starts a gRPC server on `address` with the services `setup` adds, over TLS when
 * `options.tls` is given, else plaintext. Connections
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
  const grpc = await import('@grpc/grpc-js');
  const { guard } = options;
  const idle = options.idleTimeoutMs === undefined ? {} : { 'grpc.max_connection_idle_ms': options.idleTimeoutMs };
  const server = new grpc.Server({ ...channelOptions, ...idle });
  setup(server);
  const secure = options.tls ? followingCredentials(grpc, options.tls) : null;
  const injector = server.createConnectionInjector(secure?.credentials ?? grpc.ServerCredentials.createInsecure());
  const open = new Set<Socket>();
  const sockets: NetServer = createServer((socket: Socket) => {
    if (guard && !guard.admit(socket, true)) return void socket.destroy();
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    injector.injectConnection(socket);
  });
  sockets.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EMFILE' || err.code === 'ENFILE') guard?.noteExhausted();
  });
  const bound = await listen(sockets, address, what).catch((err: unknown) => {
    secure?.unsubscribe();
    throw err;
  });
  const close = (graceMs: number): Promise<void> => {
    secure?.unsubscribe();
    return closeServer(server, sockets, open, graceMs);
  };
  return { server, address: bound, close };
}

function closeServer(server: Server, sockets: NetServer, open: ReadonlySet<Socket>, graceMs: number): Promise<void> {
  sockets.close();
  return new Promise((resolve) => {
    let shutDown = false;
    const force = setTimeout(() => {
      server.forceShutdown();
      // grpc-js does not always close connections injected into it (Node 24): a call still
      // running would hang its client. Cutting the sockets ends it (the client sees UNAVAILABLE).
      for (const socket of open) socket.destroy();
      resolve();
    }, graceMs);
    // Done once grpc-js has shut down and every connection it was given has closed: on Node 24
    // tryShutdown can report done while an injected connection still carries a call.
    const settle = (): void => {
      if (!shutDown || open.size > 0) return;
      clearTimeout(force);
      resolve();
    };
    for (const socket of open) socket.once('close', () => setImmediate(settle));
    server.tryShutdown(() => {
      shutDown = true;
      settle();
    });
  });
}

/**
 * gRPC server credentials that follow `tls`'s files (TLS, mutual when it has a client CA),
 * and the function that stops following them.
 */
function followingCredentials(grpc: Grpc, tls: TlsSource): { credentials: ServerCredentials; unsubscribe: () => void } {
  const identity = new Set<IdentityListener>();
  const cas = new Set<CaListener>();
  const caUpdate = (material: TlsMaterial) => (material.ca ? { caCertificate: material.ca } : null);
  const unsubscribe = tls.subscribe((material) => {
    for (const listener of identity) listener({ certificate: material.cert, privateKey: material.key });
    for (const listener of cas) listener(caUpdate(material));
  });
  // The first pair is handed over after the listener is added, as grpc-js's own file
  // provider does: grpc-js registers its server's watcher only once the add returns.
  const provider: CertificateProvider = {
    addIdentityCertificateListener: (listener) => {
      identity.add(listener);
      const { cert, key } = tls.current();
      queueMicrotask(() => listener({ certificate: cert, privateKey: key }));
    },
    removeIdentityCertificateListener: (listener) => void identity.delete(listener),
    addCaCertificateListener: (listener) => {
      cas.add(listener);
      const material = tls.current();
      queueMicrotask(() => listener(caUpdate(material)));
    },
    removeCaCertificateListener: (listener) => void cas.delete(listener),
  };
  // One provider serves both roles, so the argument order of this experimental API cannot matter.
  return { credentials: grpc.experimental.createCertificateProviderServerCredentials(provider, tls.mutual ? provider : null, tls.mutual), unsubscribe };
}
