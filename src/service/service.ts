import { ApiServer, type Route } from '../api/index.js';
import type { AttributeLimits } from '../codec/otlp/index.js';
import { Maintenance } from '../maintenance/index.js';
import { ConfigWatcher, formatPath, sharedBackendSettings, type ParacleConfig } from '../config/index.js';
import { RunStoreExporter } from '../exporter/runstore/index.js';
import { join } from 'node:path';
import { ConnectionGuard, StartupError, type HostPort, type HttpListenerOptions } from '../lib/index.js';
import type { Component } from '../contracts/index.js';
import { estimateCall, loadPriceBook } from '../pricing/index.js';
import { TraceAssembler } from '../processor/assembler/index.js';
import { OtlpGrpcReceiver, OtlpHttpReceiver, type IngestTarget } from '../receiver/otlp/index.js';
import { Metrics, type Logger } from '../telemetry/index.js';
import { WalCipher, WriteAheadLog } from '../wal/index.js';
import { DurableIngest } from '../processor/durable/index.js';
import { Redaction, RedactStage } from '../processor/redact/index.js';
import { privacyParts } from './privacy.js';
import { buildSecurity } from './security.js';
import {
  CatalogFollower,
  ensureWritableRunsDir,
  openSharedStore,
  openStoreEncryption,
  registerServing,
  UploadStaging,
  useSharedStore,
  type SharedStore,
} from '../store/index.js';
import { KeyStore, keysDirOf, storeMasterKey } from '../crypt/index.js';
import { otlpEndpointFor, Replayer } from '../replay/index.js';
import { loadUiAssets, uiRoutes } from '../ui/index.js';

// The largest artifact an agent may upload; not in the config schema yet.
const MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;
// Key variables of INTERFACE.md §8 by their default names: never passed to a replay.
const KEY_VARIABLES = ['PARACLE_ENCRYPTION_KEY', 'PARACLE_HMAC_KEY'];

/** Everything `paracle serve` needs once flags, env and the config file are resolved. */
export interface ServeSettings {
  config: ParacleConfig;
  /** The config file, watched for changes; null when running on built-in defaults. */
  configFile: string | null;
  runsDir: string;
  otlpHttp: HostPort;
  otlpGrpc: HostPort;
  http: HostPort;
  /** Where keys named by the config (`privacy.hmac_key_env`) are read; the process's by default. */
  env?: NodeJS.ProcessEnv;
}

/** A started daemon. */
export interface Daemon {
  /** The bound addresses (real ports when 0 was asked). */
  readonly addresses: { otlpHttp: HostPort; otlpGrpc: HostPort; http: HostPort };
  readonly metrics: Metrics;
  /** The --http listener's route table: what GET /api/v1/openapi.json documents, each route with its role. */
  readonly routes: readonly Route[];
  /** Runs written with tokens the price book could not price (logged; no metric yet). */
  unpricedRuns(): number;
  /** Stops accepting, writes every in-flight trace, closes listeners. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * The composition root: builds the pipeline receivers → assembler → exporter → store,
 * starts it downstream-first and stops it upstream-first so every buffer drains.
 */
export async function startDaemon(
  settings: ServeSettings,
  logger: Logger,
  metrics = new Metrics({ maxIds: settings.config.metrics.max_ids, logger: logger.child({ component: 'telemetry' }) }),
): Promise<Daemon> {
  await ensureWritableRunsDir(settings.runsDir);
  // Store-changing commands (keys rotate, runs shred...) refuse while this file names us.
  const serving = registerServing(settings.runsDir);
  let daemon: Daemon;
  try {
    daemon = await assembleDaemon(settings, logger, metrics);
  } catch (err) {
    serving.release();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...daemon,
    unpricedRuns: () => daemon.unpricedRuns(),
    shutdown: () => (stopping ??= daemon.shutdown().finally(() => serving.release())),
  };
}

/** Opens the shared backend when the config chooses it, then the rest; closes it when the rest fails. */
async function assembleDaemon(settings: ServeSettings, logger: Logger, metrics: Metrics): Promise<Daemon> {
  const shared = await openSharedBackend(settings.config, settings.runsDir);
  try {
    return await assemble(settings, logger, metrics, shared);
  } catch (err) {
    await shared?.shutdown();
    throw err;
  }
}

/**
 * `runs.backend: shared`: connects to object storage and PostgreSQL (creating the index's
 * table when missing) and registers the backend for the runs dir, so every reader of the
 * store finds it; a Component whose shutdown unregisters and disconnects it. Null in local
 * mode. Either service out of reach stops the start with one sentence.
 */
async function openSharedBackend(config: ParacleConfig, runsDir: string): Promise<(Component & { store: SharedStore }) | null> {
  if (config.runs.backend !== 'shared') return null;
  // The schema refuses backend shared without a bucket and a URL.
  const settings = sharedBackendSettings(config)!;
  let store: SharedStore;
  try {
    store = await openSharedStore(settings);
  } catch (err) {
    throw new StartupError(`runs.backend is shared but ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  useSharedStore(runsDir, store);
  let closing: Promise<void> | undefined;
  return {
    store,
    start: async () => undefined,
    shutdown: () =>
      (closing ??= (async () => {
        useSharedStore(runsDir, null);
        await store.close();
      })()),
  };
}

async function assemble(settings: ServeSettings, logger: Logger, metrics: Metrics, shared: (Component & { store: SharedStore }) | null): Promise<Daemon> {
  const { config } = settings;
  const listeners = { otlp_http: settings.otlpHttp, otlp_grpc: settings.otlpGrpc, http: settings.http };
  // Access rules and TLS files are checked before the store is opened.
  const security = await buildSecurity(config, listeners, settings.runsDir, (runId) => index.store.subjectOf(runId), metrics, logger);
  // Before anything is opened: a missing HMAC key stops the start.
  const privacy = privacyParts(config.privacy, settings.env ?? process.env, metrics);
  // Before the index or the log is opened: no key, a key that does not open the store, or a
  // store that does not match the setting stops the start with one sentence.
  const masterKey = storeMasterKey(config.privacy.encryption, settings.env ?? process.env);
  if (masterKey && config.ingest.untraced_logs === 'file') {
    throw new StartupError('ingest.untraced_logs: file keeps plaintext day files and cannot be used with privacy.encryption.enabled yet: set it to drop');
  }
  openStoreEncryption(settings.runsDir, masterKey);
  const walCipher = masterKey ? new WalCipher(new KeyStore(keysDirOf(settings.runsDir), masterKey)) : undefined;
  // Loaded here first so a bad pricing file stops the start with its own error; the run
  // store's workers each load it again. The API prices span calls with it.
  const priceBook = await loadPriceBook({ overrides: config.pricing.overrides, dataFile: config.pricing.data_file });
  // The run index, fed by the exporter's writes and a watcher; on the shared backend a
  // mirror of its index, told of this replica's own publishes at once.
  const indexLogger = logger.child({ component: 'store/index' });
  const index = await CatalogFollower.open(settings.runsDir, indexLogger, shared?.store);
  shared?.store.onChange((changes) => index.published(changes));
  shared?.store.onCleanupFailed((err) => indexLogger.warn({ err }, 'removing the objects of a removed run failed; they stay unreferenced'));

  const exporter = new RunStoreExporter(
    {
      runsDir: settings.runsDir,
      unrecognized: config.ingest.unrecognized,
      pricing: { overrides: config.pricing.overrides, dataFile: config.pricing.data_file },
      index,
      documentDepthLimit: config.ingest.limits.attribute_value_depth_limit,
      masterKey,
      shared: shared?.store ?? null,
    },
    logger.child({ component: 'exporter/runstore' }),
    metrics,
  );
  const limits = attributeLimits(config);
  const assembler = new TraceAssembler(
    exporter,
    {
      graceMs: config.assembly.grace_ms,
      orphanTimeoutMs: config.assembly.orphan_timeout_ms,
      runningAfterMs: config.assembly.running_after_ms,
      maxSpansInMemory: config.ingest.max_spans_in_memory,
      maxBytesInMemory: config.ingest.max_bytes_in_memory,
      maxSpansPerTrace: config.ingest.limits.spans_per_trace_limit,
    },
    logger.child({ component: 'processor/assembler' }),
  );
  const walLogger = logger.child({ component: 'wal' });
  const { wal, recovered } = await WriteAheadLog.open(
    { dir: join(settings.runsDir, '.wal'), sync: config.ingest.wal.sync, segmentBytes: config.ingest.wal.segment_bytes, cipher: walCipher },
    walLogger,
  );
  // Scrubbed before the log: what arrives, and what an older version left in it unscrubbed.
  const redaction = new Redaction(privacy.scrubber, metrics);
  const durable = new DurableIngest(wal, recovered, assembler, assembler, exporter, walLogger, { replayTransform: redaction, limits });
  const redact = new RedactStage(redaction, durable);
  metrics.observeTracesInFlight(() => assembler.tracesInFlight);
  // Where received spans enter the pipeline (scrubbed first); a replay's end span enters there too.
  const spansIn = redact;
  const ingest = (component: string): IngestTarget => ({
    spans: spansIn,
    logs: redact,
    metrics,
    logger: logger.child({ component }),
    untracedLogs: config.ingest.untraced_logs,
    redact: privacy.redactText,
    limits,
    memory: assembler.memory,
    quota: assembler,
    gate: security.gate,
  });
  const maxBytes = config.ingest.max_body_bytes;
  const { tls } = security;
  const listener = { ...listenerOptions(config, logger.child({ component: 'listeners' })), tls };
  const otlpHttp = new OtlpHttpReceiver({ address: settings.otlpHttp, maxBodyBytes: maxBytes, listener }, ingest('receiver/otlp-http'));
  const otlpGrpc = new OtlpGrpcReceiver(
    { address: settings.otlpGrpc, maxMessageBytes: maxBytes, listener: { guard: listener.guard, idleTimeoutMs: listener.idleTimeoutMs, tls } },
    ingest('receiver/otlp-grpc'),
  );
  // The store gauges read the run index at each scrape.
  metrics.observeStoreSize(() => index.store.catalog.storeSize());
  const staging = new UploadStaging(
    settings.runsDir,
    { maxBytes: config.ingest.max_staged_upload_bytes, maxAgeMs: config.assembly.orphan_timeout_ms },
    logger.child({ component: 'store/uploads' }),
  );
  const maintenance = new Maintenance({
    store: index.store,
    policy: config.runs,
    logger: logger.child({ component: 'maintenance' }),
    metrics,
  });
  const replayer = new Replayer(
    {
      store: index.store,
      spans: spansIn,
      commands: config.replay,
      configKey: (section, id) => formatPath(['replay', section, id]),
      otlpEndpoint: () => otlpEndpointFor(otlpHttp.address),
      keyVariables: [...new Set([config.privacy.encryption.key_env, config.privacy.hmac_key_env, ...KEY_VARIABLES])],
    },
    logger.child({ component: 'replay' }),
  );
  const ui = await loadUiAssets();
  if (ui.page === null) logger.warn('the web UI is not built (npm run build): its addresses answer 404');
  let accepting = false;
  const api = new ApiServer(
    {
      address: settings.http,
      listener,
      runs: {
        store: index.store,
        maxArtifactBytes: MAX_ARTIFACT_BYTES,
        maintenance,
        scrubUpload: privacy.uploads,
        replay: replayer,
        priceCall: (call, at) => estimateCall(call, priceBook, at),
        staging,
        artifactsChanged: (traceId) => exporter.artifactsChanged(traceId),
      },
      routes: uiRoutes(ui),
      router: security.router,
    },
    { ready: () => accepting },
    metrics,
    logger.child({ component: 'api' }),
  );

  // Downstream first, stopped in the reverse order. The API comes up first and goes down
  // last, so /readyz answers "not ready" all through the drain. The WAL replays what a
  // previous run left before any receiver takes new data. Replays stop first, while their
  // commands' spans and their end spans can still get in. The audit trail outlives every
  // listener that records into it; TLS files are followed while serving.
  const components: Component[] = [index, security.audit, maintenance, staging, api, exporter, assembler, durable, otlpHttp, otlpGrpc, replayer];
  if (tls) components.splice(1, 0, { start: async () => tls.start(), shutdown: async () => tls.shutdown() });
  // The shared backend outlives everything that reads or writes it.
  if (shared) components.unshift(shared);
  if (settings.configFile !== null) {
    const configLogger = logger.child({ component: 'config' });
    const apply = (next: ParacleConfig, previous: ParacleConfig): string[] => {
      maintenance.reconfigure(next.runs);
      replayer.reconfigure(next.replay);
      const refused = security.reconfigure(next);
      if (refused !== null) configLogger.error({ reason: refused }, 'access change refused: the previous access settings stay');
      return sectionsNeedingRestart(next, previous).filter((section) => section !== 'access' || refused !== null);
    };
    components.push(new ConfigWatcher(settings.configFile, config, apply, configLogger));
  }
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
    addresses: { otlpHttp: otlpHttp.address, otlpGrpc: otlpGrpc.address, http: api.address },
    metrics,
    routes: api.router.routes,
    unpricedRuns: () => exporter.unpricedRuns,
    shutdown() {
      accepting = false;
      // Once everything is stored, the log keeps only what shutdown left unfinished.
      stopping ??= stopAll(started).then(() => durable.checkpoint());
      return stopping;
    },
  };
}

/** Sections a running daemon takes over when the config file changes. */
const LIVE_SECTIONS: ReadonlySet<keyof ParacleConfig> = new Set(['runs', 'replay']);

/** The connection budget all listeners share, and their timeouts (`daemon.*`). */
function listenerOptions(config: ParacleConfig, logger: Logger): HttpListenerOptions & { guard: ConnectionGuard; idleTimeoutMs: number } {
  const { daemon } = config;
  const guard = new ConnectionGuard({
    maxConnections: daemon.max_connections,
    headerTimeoutMs: daemon.header_timeout_ms,
    idleTimeoutMs: daemon.idle_timeout_ms,
    onExhausted: () => logger.warn('out of file descriptors: answering 503 until some are free'),
    onLowered: (configured, room) =>
      logger.warn({ configured, max_connections: room }, 'daemon.max_connections is past what the open-file limit leaves the store; lowered'),
  });
  return { guard, headerTimeoutMs: daemon.header_timeout_ms, requestTimeoutMs: daemon.request_timeout_ms, idleTimeoutMs: daemon.idle_timeout_ms };
}

/** `ingest.limits` as the codec applies them. */
function attributeLimits(config: ParacleConfig): AttributeLimits {
  const limits = config.ingest.limits;
  return {
    attributeCount: limits.attribute_count_limit,
    attributeValueLength: limits.attribute_value_length_limit,
    attributeValueDepth: limits.attribute_value_depth_limit,
    eventCount: limits.event_count_limit,
    linkCount: limits.link_count_limit,
  };
}

/** Keys of `runs` read once at start: where and on what backend the store is. */
const RUNS_AT_START = ['dir', 'backend', 's3', 'postgres'] as const;

/**
 * The changed settings a running daemon cannot take over: everything but the maintenance
 * policy (`runs`, except where the store is: {@link RUNS_AT_START}), the replay commands and
 * `access` is read once at start.
 */
function sectionsNeedingRestart(next: ParacleConfig, previous: ParacleConfig): string[] {
  const changed = (a: unknown, b: unknown): boolean => JSON.stringify(a) !== JSON.stringify(b);
  const sections = (Object.keys(next) as (keyof ParacleConfig)[]).filter((key) => !LIVE_SECTIONS.has(key) && changed(next[key], previous[key]));
  const runs = RUNS_AT_START.filter((key) => changed(next.runs[key], previous.runs[key])).map((key) => `runs.${key}`);
  return [...runs, ...sections];
}

async function stopAll(started: readonly Component[]): Promise<void> {
  for (const component of [...started].reverse()) await component.shutdown();
}
