import { ApiServer } from '../api/index.js';
import type { ParacleConfig } from '../config/index.js';
import { RunStoreExporter } from '../exporter/runstore/index.js';
import type { HostPort } from '../lib/index.js';
import type { Component } from '../pipeline/index.js';
import { TraceAssembler } from '../processor/assembler/index.js';
import { OtlpHttpReceiver } from '../receiver/otlp/index.js';
import { Metrics, type Logger } from '../telemetry/index.js';
import { checkExposure } from './access.js';
import { RunIndex } from './run-index.js';
import { ensureWritableRunsDir } from './runs-dir.js';

// issue-7: the largest artifact an agent may upload; not in the config schema yet.
const MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;

/** Everything `paracle serve` needs once flags, env and the config file are resolved. */
export interface ServeSettings {
  config: ParacleConfig;
  runsDir: string;
  otlpHttp: HostPort;
  otlpGrpc: HostPort;
  http: HostPort;
}

/** A started daemon. */
export interface Daemon {
  /** The bound addresses (real ports when 0 was asked). */
  readonly addresses: { otlpHttp: HostPort; otlpGrpc: HostPort | null; http: HostPort };
  readonly metrics: Metrics;
  /** Stops accepting, writes every in-flight trace, closes listeners. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * The composition root: builds the pipeline receivers → assembler → exporter → store,
 * starts it downstream-first and stops it upstream-first so every buffer drains.
 */
export async function startDaemon(settings: ServeSettings, logger: Logger, metrics = new Metrics()): Promise<Daemon> {
  const { config } = settings;
  checkExposure(
    { otlp_http: settings.otlpHttp, otlp_grpc: settings.otlpGrpc, http: settings.http },
    { allowUnauthenticated: config.access.allow_unauthenticated, tokenCount: config.access.tokens.length },
  );
  await ensureWritableRunsDir(settings.runsDir);
  // issue-7: the run index, fed by the exporter's writes and a watcher.
  const index = await RunIndex.open(settings.runsDir, logger.child({ component: 'store/index' }));

  const exporter = new RunStoreExporter(
    { runsDir: settings.runsDir, unrecognized: config.ingest.unrecognized, onRunWritten: (w) => index.runWritten(w) },
    logger.child({ component: 'exporter/runstore' }),
    metrics,
  );
  const assembler = new TraceAssembler(
    exporter,
    {
      graceMs: config.assembly.grace_ms,
      orphanTimeoutMs: config.assembly.orphan_timeout_ms,
      maxSpansInMemory: config.ingest.max_spans_in_memory,
    },
    logger.child({ component: 'processor/assembler' }),
  );
  metrics.observeTracesInFlight(() => assembler.tracesInFlight);
  const otlpHttp = new OtlpHttpReceiver(
    { address: settings.otlpHttp, maxBodyBytes: config.ingest.max_body_bytes },
    assembler,
    logger.child({ component: 'receiver/otlp-http' }),
    metrics,
  );
  let accepting = false;
  const api = new ApiServer(
    { address: settings.http, runs: { store: index.store, maxArtifactBytes: MAX_ARTIFACT_BYTES } },
    { ready: () => accepting },
    metrics,
    logger.child({ component: 'api' }),
  );

  // Downstream first, stopped in the reverse order. The API comes up first and goes down
  // last, so /readyz answers "not ready" all through the drain.
  const components: Component[] = [index, api, exporter, assembler, otlpHttp];
  const started: Component[] = [];
  try {
    for (const component of components) {
      await component.start();
      started.push(component);
    }
  } catch (err) {
    await stopAll(started);
    throw err;
  }
  accepting = true;

  let stopping: Promise<void> | undefined;
  return {
    addresses: { otlpHttp: otlpHttp.address, otlpGrpc: null, http: api.address },
    metrics,
    shutdown() {
      accepting = false;
      stopping ??= stopAll(started);
      return stopping;
    },
  };
}

async function stopAll(started: readonly Component[]): Promise<void> {
  for (const component of [...started].reverse()) await component.shutdown();
}
