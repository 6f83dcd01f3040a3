import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyError } from '../lib/index.js';

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Sends the API's error shape `{"error":{"code","message"}}`. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Answers with the error a handler threw, by its row of the error catalogue
 * (`lib/errors.ts`): a ParacleError with its code's status and message (503 with
 * `Retry-After`); anything else is a 500 whose details stay in the log. Returns whether it
 * was a 500.
 */
export function sendThrown(res: ServerResponse, err: unknown): boolean {
  const { code, http, message, retryAfterSeconds } = classifyError(err);
  if (res.headersSent) {
    res.destroy();
    return http === 500;
  }
  if (retryAfterSeconds !== null) res.setHeader('Retry-After', String(retryAfterSeconds));
  if (http === 500) sendError(res, 500, 'internal', 'internal error');
  else sendError(res, http, code, message ?? code);
  return http === 500;
}

/** Streams a file the store opened, with `contentType`. */
export async function sendStream(res: ServerResponse, stream: Readable, contentType: string): Promise<void> {
  // The head waits for the first chunk: a file that fails at once (one that does not
  // decrypt, its first chunk failing authentication) is answered as an error, not a cut 200.
  const first = await firstChunk(stream);
  res.writeHead(200, { 'Content-Type': contentType });
  if (first !== null) res.write(first);
  await pipeline(stream, res);
}

/** The first chunk of `stream` (null when it ends empty); rejects when it fails first. */
function firstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const settle = (done: () => void): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      done();
    };
    // Nothing to read yet is no answer: its end or its error comes next, and the error
    // listener must stay until then (a stream failing at its end would be left without one).
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) settle(() => resolve(chunk));
    };
    const onEnd = (): void => settle(() => resolve(null));
    const onError = (err: Error): void => settle(() => reject(err));
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
