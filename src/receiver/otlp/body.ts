import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InvalidInputError, PayloadTooLargeError } from '../../lib/index.js';

/**
 * Reads a request body, decompressing `gzip`/`deflate`, and enforces `limitBytes` on the
 * decompressed size as it streams, so a small gzip bomb is stopped before it fills memory.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' && declared > limitBytes) {
    return Promise.reject(new PayloadTooLargeError(limitBytes));
  }
  let source: Readable;
  if (encoding === 'gzip' || encoding === 'x-gzip') source = req.pipe(createGunzip());
  else if (encoding === 'deflate') source = req.pipe(createInflate());
  else if (encoding === 'identity' || encoding === '') source = req;
  else {
    return Promise.reject(
      new InvalidInputError(`unsupported Content-Encoding "${encoding}"; send gzip, deflate or identity`),
    );
  }
  return collect(req, source, limitBytes, encoding);
}

function collect(req: IncomingMessage, source: Readable, limitBytes: number, encoding: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      if (source !== req) source.destroy();
      // Keep draining the socket so the answer can still be read by the sender.
      req.unpipe();
      req.resume();
      reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) fail(new PayloadTooLargeError(limitBytes));
      else if (!settled) chunks.push(chunk);
    });
    source.on('error', (err) => {
      fail(source === req ? err : new InvalidInputError(`the ${encoding} body could not be decompressed: ${err.message}`));
    });
    req.on('error', fail);
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  });
}
