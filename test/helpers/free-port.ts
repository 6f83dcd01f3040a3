import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1 (free when asked; the caller's server binds it right after).
 * A module of its own so that helpers starting servers need not load the daemon.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
