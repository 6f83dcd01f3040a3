import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** TLS settings of a request to an https base URL: the CA to trust, and a client certificate for mTLS. */
export interface ClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * One HTTP(S) request with `path` sent exactly as given: fetch and URL would resolve `..` and
 * `%2e%2e` before sending, which is what path-traversal tests must not let happen. Each
 * request has its own connection (no keep-alive), so TLS tests see the current certificate.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string | number>; tls?: ClientTls } = {},
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  const { hostname, port, protocol } = new URL(baseUrl);
  const host = hostname.replace(/^\[|\]$/g, '');
  const request = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers: options.headers, agent: false, ...options.tls }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
