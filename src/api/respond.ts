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
  res.writeHead(200, { 'Content-Type': contentType });
  await pipeline(stream, res);
}
