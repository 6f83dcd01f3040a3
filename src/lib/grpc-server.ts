import type * as GrpcJs from '@grpc/grpc-js';
import type { ChannelOptions, experimental, Server, ServerCredentials } from '@grpc/grpc-js';
import { formatHostPort, type HostPort } from './address.js';
import { listenFailure } from './listen.js';
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

// grpc-js reports bind failures as one message listing the underlying errors.
const ERRNO_IN_MESSAGE = /\b(E[A-Z]{3,})\b/;

/**
 * Starts a gRPC server on `address` with the services `setup` adds, over TLS when `tls` is
 * given (following its certificate changes), else plaintext. A bind failure becomes the same
 * StartupError as the HTTP listeners' (`what` names the listener).
 */
export async function startGrpcListener(
  setup: (server: Server) => void,
  address: HostPort,
  what: string,
  options: ChannelOptions = {},
  tls?: TlsSource | null,
): Promise<GrpcListener> {
  // Loaded on use: grpc-js alone would double the start-up of every CLI command.
  const grpc = await import('@grpc/grpc-js');
  const server = new grpc.Server(options);
  setup(server);
  const secure = tls ? followingCredentials(grpc, tls) : null;
  return new Promise((resolve, reject) => {
    server.bindAsync(formatHostPort(address), secure?.credentials ?? grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) {
        secure?.unsubscribe();
        server.forceShutdown();
        reject(listenFailure(address, what, ERRNO_IN_MESSAGE.exec(err.message)?.[1], err.message, err));
        return;
      }
      const close = (graceMs: number): Promise<void> => {
        secure?.unsubscribe();
        return closeServer(server, graceMs);
      };
      resolve({ server, address: { host: address.host, port }, close });
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
