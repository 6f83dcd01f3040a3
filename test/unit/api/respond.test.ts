import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendThrown } from '../../../src/api/respond.js';
import { NotFoundError, RetryableError } from '../../../src/lib/index.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** What a client gets when a handler throws `err`. */
async function answerTo(err: unknown): Promise<Response> {
  server = createServer((_req, res) => void sendThrown(res, err));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return fetch(`http://127.0.0.1:${port}/`);
}

describe('sendThrown', () => {
  it('answers load shedding with 503 and Retry-After, as OTLP does', async () => {
    const res = await answerTo(new RetryableError('overloaded', 'the daemon is full; retry later', 3));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ error: { code: 'overloaded', message: 'the daemon is full; retry later' } });
  });

  it('answers a catalogued error with its status and message', async () => {
    const res = await answerTo(new NotFoundError('no run 01X'));
    expect(res.status).toBe(404);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no run 01X' } });
  });

  it('keeps the details of anything else out of the answer', async () => {
    const res = await answerTo(new Error('/secret/path: EACCES'));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
