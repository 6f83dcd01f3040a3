import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/telemetry/index.js';

/** A real logger whose JSON lines a test can read back. */
export function captureLogger(): { logger: Logger; messages: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return { logger, messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}
