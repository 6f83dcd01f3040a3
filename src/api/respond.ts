import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ParacleError } from '../lib/index.js';

// One table from error class code to HTTP status (ARCHITECTURE.md habit 4).
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  resource_exhausted: 429,
};

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
 * Answers with the error a handler threw: a {@link ParacleError} by its code's status and
 * message; anything else is a 500 whose details stay in the log. Returns whether it was a 500.
 */
export function sendThrown(res: ServerResponse, err: unknown): boolean {
  const status = err instanceof ParacleError ? (STATUS_OF_CODE[err.code] ?? 500) : 500;
  if (res.headersSent) {
    res.destroy();
    return status === 500;
  }
  if (status === 500) sendError(res, 500, 'internal', 'internal error');
  else sendError(res, status, (err as ParacleError).code, (err as ParacleError).message);
  return status === 500;
}

/** Streams a file the store opened, with `contentType`. */
export async function sendStream(res: ServerResponse, stream: Readable, contentType: string): Promise<void> {
  res.writeHead(200, { 'Content-Type': contentType });
  await pipeline(stream, res);
}
