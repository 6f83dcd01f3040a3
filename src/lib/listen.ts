import type { Server } from 'node:net';
import { StartupError } from './errors.js';
import { formatHostPort, type HostPort } from './address.js';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'the address is not available on this machine',
  ENOTFOUND: 'the host name does not resolve',
};

/**
 * The StartupError of a listener that could not bind: `cannot listen on HOST:PORT for WHAT:
 * REASON`, the reason read from the errno `code` when known, else `detail`.
 */
export function listenFailure(address: HostPort, what: string, code: string | undefined, detail: string, cause: unknown): StartupError {
  const reason = REASONS[code ?? ''] ?? detail;
  return new StartupError(`cannot listen on ${formatHostPort(address)} for ${what}: ${reason}`, { cause });
}

/**
 * Starts `server` listening on `address` and resolves with the bound address (the real port
 * when 0 was asked). A failure becomes a StartupError naming the listener and the reason.
 */
export function listen(server: Server, address: HostPort, what: string): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(listenFailure(address, what, err.code, err.message, err));
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', onError);
      const bound = server.address();
      const port = typeof bound === 'object' && bound ? bound.port : address.port;
      resolve({ host: address.host, port });
    });
  });
}
