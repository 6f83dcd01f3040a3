import { formatHostPort } from '../lib/index.js';
import { startDaemon, type Daemon } from '../service/index.js';
import { createLogger, type Logger } from '../telemetry/index.js';
import { resolveServeSettings, type ServeFlags } from './settings.js';

// A stuck disk must not keep a stopping daemon alive forever.
const SHUTDOWN_LIMIT_MS = 60_000;

/** `paracle serve`: runs until SIGTERM/SIGINT, then drains and exits 0. */
export async function serveCommand(flags: ServeFlags): Promise<void> {
  const logger = createLogger({ level: process.env.PARACLE_LOG_LEVEL ?? 'info' });
  const settings = await resolveServeSettings(flags, process.env);
  const daemon = await startDaemon(settings, logger);
  // Signals are handled before anyone can learn the addresses and send one.
  handleSignals(daemon, logger);
  const { otlpHttp, otlpGrpc, http } = daemon.addresses;
  process.stdout.write(
    `${JSON.stringify({
      event: 'listening',
      otlp_http: formatHostPort(otlpHttp),
      otlp_grpc: formatHostPort(otlpGrpc),
      http: formatHostPort(http),
    })}\n`,
  );
  logger.info({ runs_dir: settings.runsDir }, 'paracle serve started');
}

function handleSignals(daemon: Daemon, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight traces');
    const limit = setTimeout(() => {
      logger.error({ limit_ms: SHUTDOWN_LIMIT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    daemon.shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
