import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/telemetry/index.js';

/** A real logger whose JSON lines a test can read back: their messages, or whole. */
export function captureLogger(): { logger: Logger; messages: () => string[]; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const records = (): Record<string, unknown>[] => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, messages: () => records().map((r) => r.msg as string), records };
}
