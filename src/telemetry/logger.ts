import { pino, type Logger } from 'pino';

export type { Logger };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; stderr by default (stdout carries the `listening` line). */
  fd?: number;
}

/**
 * The daemon's logger: JSON lines on stderr. Writes are synchronous so that the lines
 * explaining a shutdown or crash are not lost when the process exits right after.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'paracle' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not pino's numbers: the lines are read by people and generic log tools.
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that discards everything, for tests and CLI commands that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
