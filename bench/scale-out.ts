/**
 * The scale-out figure (issue 22): end-to-end runs/s on the shared backend (a throw-away
 * PostgreSQL cluster and s3rver, started here) with one replica and with two. A run counts
 * once its row is in PostgreSQL, which the daemon writes after the run's objects: the run is
 * then in the shared store, readable from every replica. Each request is one whole trace,
 * so sending request i to replica i mod N splits the traces as the Collector's
 * `loadbalancing` exporter would (every span of a trace on one replica); the `--concurrency`
 * senders are split between the replicas, so both measurements offer the same load.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RunObjects } from '../src/store/index.js';
import { createDatabase } from '../test/helpers/pg-database.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startS3 } from '../test/helpers/s3.js';
import { closedLoop } from './load.js';
import type { BenchOptions } from './options.js';
import { startDaemon, type Server } from './processes.js';

export interface ScaleOutOutcome {
  oneReplicaRunsPerSecond: number;
  twoReplicasRunsPerSecond: number;
  /** Runs of the timed traces in the shared store when each wait ended, and their count. */
  details: Record<string, number>;
}

/** Polls PostgreSQL until `target` live runs are indexed, for at most `timeoutMs`. */
async function indexedRuns(db: pg.Client, target: number, timeoutMs: number): Promise<{ at: number; value: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM paracle_runs WHERE NOT deleted');
    const value = Number(rows[0]!.n);
    const at = performance.now();
    if (value >= target || at > deadline) return { at, value };
    await sleep(50);
  }
}

/**
 * What the shared store holds per 1,000 runs of the workload: bytes of objects (the runs'
 * files as stored) and of the PostgreSQL table with its indexes (the index and trace map).
 */
async function storagePer1kRuns(db: pg.Client, objects: ConstructorParameters<typeof RunObjects>[0], runs: number): Promise<Record<string, number>> {
  const store = new RunObjects(objects);
  try {
    const listed = await Promise.all(['agents', 'workflows'].map((folder) => store.list(folder)));
    const objectBytes = listed.flat().reduce((sum, o) => sum + o.size, 0);
    const { rows } = await db.query<{ bytes: string }>(`SELECT pg_total_relation_size('paracle_runs') AS bytes`);
    return {
      scaleOutObjectBytesPer1kRuns: (objectBytes / runs) * 1000,
      scaleOutIndexBytesPer1kRuns: (Number(rows[0]!.bytes) / runs) * 1000,
    };
  } finally {
    store.close();
  }
}

/** `bodies` split between `servers` as a trace-id router would, sent by `concurrency` senders in all. */
async function sendSplit(servers: readonly Server[], bodies: readonly Buffer[], concurrency: number, seconds?: number): Promise<number> {
  const shares = servers.map((_, i) => bodies.filter((_body, j) => j % servers.length === i));
  const senders = Math.max(1, Math.floor(concurrency / servers.length));
  const results = await Promise.all(servers.map((server, i) => closedLoop('http', server, shares[i]!, senders, seconds)));
  return results.reduce((sum, r) => sum + r.requests, 0);
}

/** Measures 1 then 2 replicas, each on a fresh database and key prefix of the same servers. */
export async function measureScaleOut(
  dist: string,
  bodies: { warmup: Buffer[]; timed: Buffer[] },
  options: BenchOptions,
  baseConfig: Record<string, unknown>,
  freshDir: (name: string) => Promise<string>,
  warn: (problem: string) => void,
): Promise<ScaleOutOutcome> {
  const [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  const details: Record<string, number> = {};
  try {
    const measure = async (replicas: number): Promise<number> => {
      const name = `scale_out_${replicas}`;
      const url = await createDatabase(postgres, name);
      const config = {
        ...baseConfig,
        runs: { backend: 'shared', s3: { endpoint: s3.endpoint, bucket: s3.bucket, prefix: `${name}/`, region: 'us-east-1', force_path_style: true }, postgres: { url } },
      };
      const servers: Server[] = [];
      const db = new pg.Client({ connectionString: url });
      try {
        for (let i = 0; i < replicas; i++) {
          const dir = await freshDir(`${name}-replica-${i + 1}`);
          servers.push(await startDaemon(dist, join(dir, 'runs'), dir, config, s3.env));
        }
        await db.connect();
        const warmup = await sendSplit(servers, bodies.warmup, options.concurrency);
        const warm = await indexedRuns(db, warmup, options.drainSeconds * 1000);
        const t0 = performance.now();
        const acked = await sendSplit(servers, bodies.timed, options.concurrency, options.seconds);
        const done = await indexedRuns(db, warm.value + acked, options.drainSeconds * 1000);
        const runs = done.value - warm.value;
        if (runs < acked) warn(`scale-out figure, ${replicas} replica(s): ${runs} of ${acked} runs in the shared store after --drain-seconds`);
        details[`scaleOut${replicas}Runs`] = runs;
        details[`scaleOut${replicas}Seconds`] = (done.at - t0) / 1000;
        if (replicas === 1) Object.assign(details, await storagePer1kRuns(db, s3.options(`${name}/`), done.value));
        return runs / ((done.at - t0) / 1000);
      } finally {
        await db.end().catch(() => undefined);
        // Everything timed is in the shared store (or given up on); the rest is not measured.
        for (const server of servers) server.kill();
      }
    };
    const one = await measure(1);
    const two = await measure(2);
    return { oneReplicaRunsPerSecond: one, twoReplicasRunsPerSecond: two, details };
  } finally {
    await Promise.all([postgres.stop(), s3.stop()]);
  }
}
