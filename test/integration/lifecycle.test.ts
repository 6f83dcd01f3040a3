/**
 * The lifecycle contract of every Component (ARCHITECTURE.md habit 3, the Collector's
 * generated lifecycle tests): shutdown is safe before start and idempotent, and a shutdown
 * while the component works lets that work end (or refuses it cleanly) instead of hanging or
 * losing what was accepted. One row per component; each row builds it on real listeners
 * (port 0) and a real temp dir, and says what "work in progress" is for it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ApiServer } from '../../src/api/index.js';
import { DEFAULT_LIMITS } from '../../src/codec/otlp/index.js';
import { AuditTrail, verifyAudit } from '../../src/audit/index.js';
import { ConfigWatcher, validateConfig, type ParacleConfig } from '../../src/config/index.js';
import type { Component } from '../../src/contracts/index.js';
import { RunStoreExporter } from '../../src/exporter/runstore/index.js';
import { formatHostPort, RetryableError } from '../../src/lib/index.js';
import { Maintenance } from '../../src/maintenance/index.js';
import { StatusCode, type LogRecord, type Span } from '../../src/model/index.js';
import { TraceAssembler } from '../../src/processor/assembler/index.js';
import { Replayer } from '../../src/replay/index.js';
import { DurableIngest } from '../../src/processor/durable/index.js';
import { OtlpGrpcReceiver, OtlpHttpReceiver, type IngestTarget } from '../../src/receiver/otlp/index.js';
import { CatalogFollower, openSharedStore, UploadStaging, type SharedStore } from '../../src/store/index.js';
import type { CatalogEntry } from '../../src/store/catalog/entry.js';
import type { PublishedRun } from '../../src/store/shared/postgres.js';
import { Metrics, silentLogger } from '../../src/telemetry/index.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { TEST_ASSEMBLER_OPTIONS } from '../helpers/assembler.js';
import { makeTempDir, removeTempDir } from '../helpers/daemon.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { CONTENT_TYPES, encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { groupAlive } from '../helpers/processes.js';
import { REPLAY_FIXTURES } from '../helpers/replay.js';
import { listRuns } from '../helpers/runs.js';
import { TraceSink } from '../helpers/sinks.js';
import { TraceBuilder } from '../helpers/span-builder.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };
const logger = silentLogger();
const until = async (done: () => boolean): Promise<void> => {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
};

/** A component under test, and what shutting it down in the middle of its work means. */
interface Subject {
  component: Component;
  /** Starts work, shuts down while it runs, and checks the work ended as the contract says. */
  shutdownDuringWork(): Promise<void>;
}

let dir: string;
afterEach(() => removeTempDir(dir));

/** An ingest target whose consumers wait until `release()`. */
function gatedTarget() {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const received: Span[] = [];
  const target: IngestTarget = {
    spans: {
      consumeSpans: async (spans) => {
        received.push(...spans);
        await gate;
      },
    },
    logs: { consumeLogs: (_logs: LogRecord[]) => Promise.resolve() },
    metrics: new Metrics({ defaultMetrics: false }),
    logger,
    untracedLogs: 'drop',
    limits: DEFAULT_LIMITS,
  };
  return { target, received, release };
}

const spansBody = (): Uint8Array => encodeSpans(makeSdkSpans('invoke_agent lifecycle'), 'protobuf');

function agentTrace(builder = new TraceBuilder()): Span[] {
  const root = builder.span('invoke_agent coder', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'coder' }, endMs: 50 });
  builder.span('chat gpt-4', { parent: root, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4' }, endMs: 40 });
  return builder.spans;
}

const SUBJECTS: Record<string, () => Promise<Subject>> = {
  async OtlpHttpReceiver() {
    const { target, received, release } = gatedTarget();
    const receiver = new OtlpHttpReceiver({ address: LOOPBACK, maxBodyBytes: 1 << 20 }, target);
    return {
      component: receiver,
      async shutdownDuringWork() {
        const body = spansBody();
        const post = fetch(`http://${formatHostPort(receiver.address)}/v1/traces`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES.protobuf }, body });
        await until(() => received.length > 0);
        const stopped = receiver.shutdown();
        release();
        expect((await post).status).toBe(200);
        await stopped;
      },
    };
  },

  async OtlpGrpcReceiver() {
    const { target } = gatedTarget();
    const receiver = new OtlpGrpcReceiver({ address: LOOPBACK, maxMessageBytes: 1 << 20 }, target);
    // The call in flight is covered call by call in test/unit/receiver/grpc-lifecycle.test.ts.
    return { component: receiver, shutdownDuringWork: () => receiver.shutdown() };
  },

  async DurableIngest() {
    const { wal, recovered } = await WriteAheadLog.open({ dir: join(dir, '.wal'), sync: 'always', segmentBytes: 1 << 20 }, logger);
    const sink = new TraceSink();
    const assembler = new TraceAssembler(sink, TEST_ASSEMBLER_OPTIONS, logger);
    const durable = new DurableIngest(wal, recovered, assembler, assembler, { syncStored: () => Promise.resolve() }, logger);
    return {
      component: durable,
      async shutdownDuringWork() {
        const appends = Array.from({ length: 20 }, (_, i) => durable.consumeSpans(agentTrace(new TraceBuilder({ traceId: i.toString(16).padStart(32, '0') }))));
        await durable.shutdown();
        // Each append was either made durable (resolved) or refused for the sender to retry.
        for (const result of await Promise.allSettled(appends)) {
          if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(RetryableError);
        }
        await expect(durable.consumeSpans(agentTrace())).rejects.toBeInstanceOf(RetryableError);
      },
    };
  },

  async TraceAssembler() {
    const sink = new TraceSink();
    const assembler = new TraceAssembler(sink, TEST_ASSEMBLER_OPTIONS, logger);
    return {
      component: assembler,
      async shutdownDuringWork() {
        await assembler.consumeSpans(agentTrace());
        await assembler.shutdown();
        // The open trace is handed on, not dropped; new spans are refused with a retry.
        expect(sink.traces.length).toBeGreaterThan(0);
        await expect(assembler.consumeSpans(agentTrace())).rejects.toBeInstanceOf(RetryableError);
      },
    };
  },

  async RunStoreExporter() {
    const exporter = new RunStoreExporter({ runsDir: dir, unrecognized: 'agent', pricing: { overrides: 'config/pricing.yaml', dataFile: null } }, logger, new Metrics({ defaultMetrics: false }));
    return {
      component: exporter,
      async shutdownDuringWork() {
        const writing = exporter.consumeTrace(new TraceBuilder().trace('complete', agentTrace()));
        await exporter.shutdown();
        await writing;
        expect(await listRuns(dir)).toHaveLength(1);
      },
    };
  },

  async 'RunStoreExporter (shared backend)'() {
    const shared = await sharedBackend();
    const pricing = { overrides: 'config/pricing.yaml', dataFile: null };
    const exporter = new RunStoreExporter({ runsDir: dir, unrecognized: 'agent', pricing, shared }, logger, new Metrics({ defaultMetrics: false }));
    return {
      component: exporter,
      async shutdownDuringWork() {
        const trace = new TraceBuilder().trace('complete', agentTrace());
        const writing = exporter.consumeTrace(trace);
        await exporter.shutdown();
        await writing;
        // Published before the shutdown ended, and the final run's local copy dropped.
        expect(await shared.index.locateTrace(trace.traceId)).not.toBeNull();
        expect(await listRuns(dir)).toHaveLength(0);
      },
    };
  },

  async CatalogFollower() {
    await writeFixtureStore(dir, { count: 30 });
    const follower = await CatalogFollower.open(dir, logger);
    return {
      component: follower,
      async shutdownDuringWork() {
        // The initial scan of the watcher is still running.
        await follower.shutdown();
      },
    };
  },

  async 'CatalogFollower (shared backend)'() {
    const shared = await sharedBackend();
    const follower = await CatalogFollower.open(dir, logger, shared);
    return {
      component: follower,
      async shutdownDuringWork() {
        // A run appears in the shared index while a poll of it is under way: the shutdown
        // waits for the poll, whose changes and cursor are kept for the next open.
        const published = publishedRun();
        await shared.index.publish(published);
        let polled = false;
        void follower.mirror!.poll().then(() => (polled = true));
        await follower.shutdown();
        expect(polled).toBe(true);
        const reopened = await CatalogFollower.open(dir, logger, shared);
        expect(reopened.store.list({ limit: 1000 }).runs.map((r) => r.run_id)).toContain(published.runId);
        await reopened.shutdown();
      },
    };
  },

  async UploadStaging() {
    // Uploads for traces that never came, past their age: a sweep deletes them.
    await mkdir(join(dir, '.uploads', 'ab'.repeat(16)), { recursive: true });
    await writeFile(join(dir, '.uploads', 'ab'.repeat(16), 'notes.txt'), 'x'.repeat(1000));
    const staging = new UploadStaging(dir, { maxBytes: 1_000_000, maxAgeMs: 1, now: () => Date.now() + 60_000 }, logger);
    return {
      component: staging,
      async shutdownDuringWork() {
        const sweep = staging.sweep();
        await staging.shutdown();
        await sweep;
      },
    };
  },

  async Maintenance() {
    await writeFixtureStore(dir, { count: 30 });
    const follower = await CatalogFollower.open(dir, logger);
    const config = validateConfig({ runs: { dir } }, null);
    const maintenance = new Maintenance({ store: follower.store, policy: config.runs, logger, metrics: new Metrics({ defaultMetrics: false }) });
    return {
      component: maintenance,
      async shutdownDuringWork() {
        const job = maintenance.run('retention', { dryRun: true });
        await maintenance.shutdown();
        await job.catch(() => undefined);
        await follower.shutdown();
      },
    };
  },

  async ApiServer() {
    await writeFixtureStore(dir, { count: 30 });
    const follower = await CatalogFollower.open(dir, logger);
    const api = new ApiServer({ address: LOOPBACK, runs: { store: follower.store, maxArtifactBytes: 1024 } }, { ready: () => true }, new Metrics({ defaultMetrics: false }), logger);
    return {
      component: api,
      async shutdownDuringWork() {
        const asked = fetch(`http://${formatHostPort(api.address)}/api/v1/runs?limit=5`).then((r) => r.status, () => 'cut');
        await api.shutdown();
        expect([200, 'cut']).toContain(await asked);
        await follower.shutdown();
      },
    };
  },

  async Replayer() {
    const [run] = (await writeFixtureStore(dir, { count: 1 })) as [FixtureRun];
    const follower = await CatalogFollower.open(dir, logger);
    const ended: Span[] = [];
    const pids = join(dir, 'pids.json');
    const hang = { command: [process.execPath, REPLAY_FIXTURES.hang, pids], timeout_s: 600 };
    const replayer = new Replayer(
      {
        store: follower.store,
        spans: { consumeSpans: async (spans) => void ended.push(...spans) },
        commands: { agents: { [run.subject]: hang }, workflows: { [run.subject]: hang } },
        configKey: (section, id) => `replay.${section}.${id}`,
        otlpEndpoint: () => 'http://127.0.0.1:4318',
        keyVariables: [],
      },
      logger,
    );
    return {
      component: replayer,
      async shutdownDuringWork() {
        await replayer.replay(run.runId);
        await until(() => existsSync(pids));
        const [pid] = JSON.parse(await readFile(pids, 'utf8')) as [number];
        await replayer.shutdown();
        // The command's whole process group is gone and its run is failed by its end span.
        expect(groupAlive(pid)).toBe(false);
        expect(ended.map((span) => span.status.code)).toEqual([StatusCode.ERROR]);
        await expect(replayer.replay(run.runId)).rejects.toBeInstanceOf(RetryableError);
        await follower.shutdown();
      },
    };
  },

  async AuditTrail() {
    const trail = new AuditTrail({ runsDir: dir });
    return {
      component: trail,
      async shutdownDuringWork() {
        const lines = Array.from({ length: 50 }, (_, i) => trail.record({ actor: 'lifecycle', action: 'run.read.input', run_id: `run-${i}`, outcome: 'ok' }));
        await trail.shutdown();
        // Every line asked for before the shutdown is on disk once it returns, and the chain holds.
        expect(await verifyAudit(dir)).toMatchObject({ lines: 50, problem: null });
        await Promise.all(lines);
      },
    };
  },
  async ConfigWatcher() {
    const file = join(dir, 'paracle.yaml');
    await writeFile(file, 'paracle_config: {}\n');
    const applied: ParacleConfig[] = [];
    const watcher = new ConfigWatcher(file, validateConfig({}, null), (next) => (applied.push(next), []), logger);
    return {
      component: watcher,
      async shutdownDuringWork() {
        await writeFile(file, 'paracle_config:\n  metrics: { max_ids: 7 }\n');
        await watcher.shutdown();
        expect(applied.length).toBeLessThanOrEqual(1);
      },
    };
  },
};

// The shared backend's services, started when a row first needs them.
let backend: { pg: TestPostgres; s3: TestS3; store: SharedStore } | null = null;
async function sharedBackend(): Promise<SharedStore> {
  if (!backend) {
    const [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    backend = { pg, s3, store: await openSharedStore({ s3: s3.options('lifecycle/'), postgresUrl: pg.url }) };
  }
  return backend.store;
}
afterAll(async () => {
  await backend?.store.close();
  await Promise.all([backend?.pg.stop(), backend?.s3.stop()]);
});

let published = 0;
/** A run for the shared index, with a fresh id. */
function publishedRun(): PublishedRun {
  published += 1;
  const runId = `01JF${String(published).padStart(22, '0')}`;
  const entry: CatalogEntry = {
    runId, kind: 'agent', subject: 'coder', traceId: null, status: 'completed', startedMs: 1_764_000_000_000, durationSeconds: 1,
    model: null, project: null, session: null, tokens: 1, costUsd: 0, pinned: false, mtimeMs: 1, bytes: 1, text: '', metadata: { run_id: runId },
  };
  return { kind: 'agent', runId, traceId: null, status: 'completed', replayOf: null, pinned: false, entry };
}

describe.each(Object.entries(SUBJECTS))('%s lifecycle', (_name, make) => {
  const subject = async (): Promise<Subject> => {
    dir = await makeTempDir('paracle-lifecycle-');
    return make();
  };

  it('shuts down before start, and again', async () => {
    const { component } = await subject();
    await component.shutdown();
    await component.shutdown();
  });

  it('starts, shuts down, and shuts down again', async () => {
    const { component } = await subject();
    await component.start();
    await component.shutdown();
    await component.shutdown();
  });

  it('shuts down while it works, letting the work end', async () => {
    const { component, shutdownDuringWork } = await subject();
    await component.start();
    await shutdownDuringWork();
    await component.shutdown();
  });
});
