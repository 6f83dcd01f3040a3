import { request } from 'node:http';

/**
 * One HTTP request with `path` sent exactly as given: fetch and URL would resolve `..` and
 * `%2e%2e` before sending, which is what path-traversal tests must not let happen.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string | number> } = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
