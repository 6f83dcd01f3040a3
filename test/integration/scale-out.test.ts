import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunObjects } from '../../src/store/index.js';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { makeSdkSpans } from '../helpers/otlp-payloads.js';
import { createDatabase } from '../helpers/pg-database.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { startTraceRouter } from '../helpers/trace-router.js';

// Two `paracle serve` processes on one shared backend (real PostgreSQL, an S3-compatible
// server), traffic from the real OTel JS exporter through a router that splits requests by
// trace id as the Collector's loadbalancing exporter does.

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
const WAIT_MS = 60_000;

let postgres: TestPostgres;
let s3: TestS3;
let dir: string;
const daemons: DaemonProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [postgres, s3, dir] = await Promise.all([startPostgres(), startS3(), makeTempDir('paracle-scale-out-')]);
}, 60_000);
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await stop(daemon);
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await s3?.stop();
  await postgres?.stop();
  await removeTempDir(dir);
});

/** A fresh shared backend: its own database and key prefix. */
async function freshBackend(name: string): Promise<{ config: string; databaseUrl: string; objects: RunObjects }> {
  const databaseUrl = await createDatabase(postgres, name);
  const config = [
    'paracle_config:',
    '  runs:',
    '    backend: shared',
    `    s3: { endpoint: "${s3.endpoint}", bucket: ${s3.bucket}, prefix: "${name}/", force_path_style: true }`,
    `    postgres: { url: "${databaseUrl}" }`,
    // A trace without its root is written as running after 300 ms: its run id may change
    // when the root comes (a move across replicas).
    '  assembly: { grace_ms: 200, orphan_timeout_ms: 1500, running_after_ms: 300 }',
    '',
  ].join('\n');
  const objects = new RunObjects(s3.options(`${name}/`));
  closers.push(async () => objects.close());
  return { config, databaseUrl, objects };
}

async function serve(config: string, runsDir: string): Promise<DaemonProcess> {
  const file = join(dir, `config-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, config);
  const daemon = await spawnDaemon(['--config', file, '--runs-dir', runsDir, ...PORT0], s3.env);
  daemons.push(daemon);
  return daemon;
}

async function stop(daemon: DaemonProcess): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
  const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 20_000);
  await daemon.exited;
  clearTimeout(killer);
}

/** Exports `spans` in one request through the real exporter; true when acknowledged. */
function exportOnce(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<boolean> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code === ExportResultCode.SUCCESS)));
}

/** The live rows of the shared index: trace id -> run ids. */
async function rowsByTrace(databaseUrl: string): Promise<Map<string, string[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ trace_id: string; run_id: string }>('SELECT trace_id, run_id FROM paracle_runs WHERE NOT deleted');
    const byTrace = new Map<string, string[]>();
    for (const row of rows) byTrace.set(row.trace_id, [...(byTrace.get(row.trace_id) ?? []), row.run_id]);
    return byTrace;
  } finally {
    await client.end();
  }
}

/** Polls until `check` passes (it throws until then), at most WAIT_MS. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(250);
  }
}

interface ApiRun {
  run_id: string;
  trace_id: string;
  status: string;
}

/** Every run the daemon's API lists, all pages. */
async function listAll(daemon: DaemonProcess): Promise<ApiRun[]> {
  const runs: ApiRun[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const response = await fetch(`http://${daemon.listening.http}/api/v1/runs?limit=1000${query}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { runs: ApiRun[]; next_cursor: string | null };
    runs.push(...page.runs);
    cursor = page.next_cursor;
  } while (cursor);
  return runs;
}

/** The span ids of a run as the daemon's API serves them. */
async function spanIds(daemon: DaemonProcess, runId: string): Promise<string[]> {
  const response = await fetch(`http://${daemon.listening.http}/api/v1/runs/${runId}/spans?limit=10000`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { spans: { span_id: string }[] }).spans.map((s) => s.span_id).sort();
}

/** The run folders in object storage: run id -> its file names. */
async function objectRuns(objects: RunObjects): Promise<Map<string, string[]>> {
  const runs = new Map<string, string[]>();
  for (const object of await objects.list('agents')) {
    const [runId, ...rest] = object.path.split('/');
    runs.set(runId!, [...(runs.get(runId!) ?? []), rest.join('/')]);
  }
  return runs;
}

async function localRunDirs(runsDir: string): Promise<string[]> {
  return readdir(join(runsDir, 'agents')).catch(() => []);
}

const traceIdOf = (spans: ReadableSpan[]): string => spans[0]!.spanContext().traceId;

describe('two daemons on one shared backend', () => {
  it('stores every run once, in PostgreSQL and S3, and both daemons answer for all of them', async () => {
    const backend = await freshBackend('split');
    const [a, b] = await Promise.all([serve(backend.config, join(dir, 'split-a')), serve(backend.config, join(dir, 'split-b'))]);
    const router = await startTraceRouter([`http://${a.listening.otlp_http}`, `http://${b.listening.otlp_http}`]);
    closers.push(() => router.close());
    const exporter = new OTLPTraceExporter({ url: `${router.url}/v1/traces`, timeoutMillis: 10_000 });
    closers.push(() => exporter.shutdown());

    // Several traces per request, as an SDK's batch processor sends them: the router splits them.
    const traces = Array.from({ length: 24 }, (_, i) => makeSdkSpans(`invoke_agent split-${i}`, 2, { 'gen_ai.agent.id': 'splitter' }));
    for (let i = 0; i < traces.length; i += 4) expect(await exportOnce(exporter, traces.slice(i, i + 4).flat())).toBe(true);
    const sent = new Set(traces.map(traceIdOf));
    // Both daemons got some of them.
    expect(new Set([...sent].map((id) => router.backendOf(id))).size).toBe(2);

    await eventually(async () => {
      const rows = await rowsByTrace(backend.databaseUrl);
      for (const traceId of sent) expect(rows.get(traceId), traceId).toHaveLength(1);
      expect(rows.size).toBe(sent.size);
    });
    const rows = await rowsByTrace(backend.databaseUrl);
    const runIds = [...rows.values()].flat();
    const stored = await objectRuns(backend.objects);
    expect([...stored.keys()].sort()).toEqual([...runIds].sort());
    for (const runId of runIds) expect(stored.get(runId)).toEqual(expect.arrayContaining(['metadata.yaml', 'trace.json']));

    for (const daemon of [a, b]) {
      await eventually(async () => {
        const listed = await listAll(daemon);
        expect(new Set(listed.map((r) => r.trace_id))).toEqual(sent);
        expect(listed.every((r) => r.status === 'completed')).toBe(true);
      });
      for (const traceId of sent) {
        const runId = rows.get(traceId)![0]!;
        const expected = traces.find((t) => traceIdOf(t) === traceId)!.map((s) => s.spanContext().spanId).sort();
        expect(await spanIds(daemon, runId)).toEqual(expected);
      }
    }
    // Final runs are in the shared store only: the runs dirs keep the log, not the runs.
    for (const runsDir of [join(dir, 'split-a'), join(dir, 'split-b')]) expect(await localRunDirs(runsDir)).toEqual([]);
  }, 180_000);

  it('makes one run with all spans of a trace whose spans reach both daemons', async () => {
    const backend = await freshBackend('merge');
    const [a, b] = await Promise.all([serve(backend.config, join(dir, 'merge-a')), serve(backend.config, join(dir, 'merge-b'))]);
    const toA = new OTLPTraceExporter({ url: `http://${a.listening.otlp_http}/v1/traces`, timeoutMillis: 10_000 });
    const toB = new OTLPTraceExporter({ url: `http://${b.listening.otlp_http}/v1/traces`, timeoutMillis: 10_000 });
    closers.push(() => toA.shutdown(), () => toB.shutdown());

    // Rebalancing: a trace's children reach one replica, its root and more children the
    // other; at once in one trace, one after the other in the next.
    const together = makeSdkSpans('invoke_agent together', 4, { 'gen_ai.agent.id': 'merger' });
    const apart = makeSdkSpans('invoke_agent apart', 4, { 'gen_ai.agent.id': 'merger' }, 50);
    const root = (spans: ReadableSpan[]): ReadableSpan => spans.find((s) => !s.parentSpanContext)!;
    const children = (spans: ReadableSpan[]): ReadableSpan[] => spans.filter((s) => s.parentSpanContext);
    const [c1, c2, c3, c4] = children(together);
    const acked = await Promise.all([exportOnce(toA, [c1!, c2!]), exportOnce(toB, [root(together), c3!, c4!])]);
    expect(acked).toEqual([true, true]);
    const [d1, d2, d3, d4] = children(apart);
    expect(await exportOnce(toB, [d1!, d2!])).toBe(true);
    // After the first part's run is written as running, under an id from its first span's
    // start; the root starts earlier, so the run moves to another id on the other daemon.
    let firstId = '';
    await eventually(async () => {
      firstId = (await rowsByTrace(backend.databaseUrl)).get(traceIdOf(apart))?.[0] ?? '';
      expect(firstId).not.toBe('');
    });
    expect(await exportOnce(toA, [root(apart), d3!, d4!])).toBe(true);

    for (const spans of [together, apart]) {
      const expected = spans.map((s) => s.spanContext().spanId).sort();
      await eventually(async () => {
        const runIds = (await rowsByTrace(backend.databaseUrl)).get(traceIdOf(spans));
        expect(runIds).toHaveLength(1);
        for (const daemon of [a, b]) expect(await spanIds(daemon, runIds![0]!)).toEqual(expected);
      });
    }
    const rows = await rowsByTrace(backend.databaseUrl);
    expect(rows.size).toBe(2);
    // The moved run's old row and objects are gone.
    expect(rows.get(traceIdOf(apart))).not.toContain(firstId);
    await eventually(async () => expect([...(await objectRuns(backend.objects)).keys()].sort()).toEqual([...rows.values()].flat().sort()));
    for (const daemon of [a, b]) {
      const listed = await listAll(daemon);
      expect(listed.map((r) => r.trace_id).sort()).toEqual([traceIdOf(together), traceIdOf(apart)].sort());
      expect(listed.every((r) => r.status === 'completed')).toBe(true);
    }
  }, 180_000);

  it('takes an artifact uploaded to one daemon into the run another daemon wrote, before or after the run', async () => {
    const backend = await freshBackend('uploads');
    const [a, b] = await Promise.all([serve(backend.config, join(dir, 'uploads-a')), serve(backend.config, join(dir, 'uploads-b'))]);
    const toA = new OTLPTraceExporter({ url: `http://${a.listening.otlp_http}/v1/traces`, timeoutMillis: 10_000 });
    closers.push(() => toA.shutdown());
    const spans = makeSdkSpans('invoke_agent uploader', 1, { 'gen_ai.agent.id': 'uploader' });
    const traceId = traceIdOf(spans);
    const upload = async (daemon: DaemonProcess, name: string, body: string): Promise<number> => {
      const response = await fetch(`http://${daemon.listening.http}/api/v1/traces/${traceId}/artifacts/${name}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
      await response.arrayBuffer();
      return response.status;
    };
    // Before the trace has a run anywhere: staged on B.
    expect(await upload(b, 'early.txt', 'before the run')).toBe(201);
    expect(await exportOnce(toA, spans)).toBe(true);
    const runId = await (async () => {
      let id = '';
      await eventually(async () => {
        id = (await rowsByTrace(backend.databaseUrl)).get(traceId)?.[0] ?? '';
        expect(id).not.toBe('');
      });
      return id;
    })();
    // After the run is final (its local copy on A already dropped).
    expect(await upload(b, 'late.txt', 'after the run')).toBe(201);
    for (const daemon of [a, b]) {
      await eventually(async () => {
        const response = await fetch(`http://${daemon.listening.http}/api/v1/runs/${runId}/artifacts`);
        const listed = ((await response.json()) as { artifacts: { path: string }[] }).artifacts.map((f) => f.path).sort();
        expect(listed).toEqual(['early.txt', 'late.txt']);
      });
      for (const [name, body] of [['early.txt', 'before the run'], ['late.txt', 'after the run']]) {
        const response = await fetch(`http://${daemon.listening.http}/api/v1/runs/${runId}/artifacts/${name}`);
        expect(await response.text()).toBe(body);
      }
    }
    expect(await localRunDirs(join(dir, 'uploads-a'))).toEqual([]);
    await eventually(async () => expect(await localRunDirs(join(dir, 'uploads-b'))).toEqual([]));
  }, 180_000);

  it('loses no acknowledged trace when one daemon is killed with SIGKILL mid-traffic and restarted', async () => {
    const backend = await freshBackend('crash');
    const runsA = join(dir, 'crash-a');
    const runsB = join(dir, 'crash-b');
    const [a, b] = await Promise.all([serve(backend.config, runsA), serve(backend.config, runsB)]);
    const router = await startTraceRouter([`http://${a.listening.otlp_http}`, `http://${b.listening.otlp_http}`]);
    closers.push(() => router.close());
    const exporter = new OTLPTraceExporter({ url: `${router.url}/v1/traces`, timeoutMillis: 2_000 });
    closers.push(() => exporter.shutdown());

    const acked = new Map<string, string[]>();
    let sending = true;
    const traffic = (async () => {
      for (let i = 0; sending; i++) {
        const batch = [0, 1, 2].map((j) => makeSdkSpans(`invoke_agent crash-${i}-${j}`, 2, { 'gen_ai.agent.id': 'crasher' }));
        if (await exportOnce(exporter, batch.flat())) for (const spans of batch) acked.set(traceIdOf(spans), spans.map((s) => s.spanContext().spanId).sort());
      }
    })();
    await sleep(1500);
    b.child.kill('SIGKILL');
    await b.exited;
    const ackedBeforeKill = acked.size;
    await sleep(500);
    const b2 = await serve(backend.config, runsB);
    router.backends[1] = `http://${b2.listening.otlp_http}`;
    await sleep(1500);
    sending = false;
    await traffic;
    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThan(ackedBeforeKill);

    await eventually(async () => {
      const rows = await rowsByTrace(backend.databaseUrl);
      for (const traceId of acked.keys()) expect(rows.get(traceId), traceId).toHaveLength(1);
      for (const runIds of rows.values()) expect(runIds).toHaveLength(1);
    });
    const rows = await rowsByTrace(backend.databaseUrl);
    const stored = await objectRuns(backend.objects);
    expect([...stored.keys()].sort()).toEqual([...rows.values()].flat().sort());
    for (const daemon of [a, b2]) {
      await eventually(async () => {
        const listed = new Set((await listAll(daemon)).map((r) => r.trace_id));
        for (const traceId of acked.keys()) expect(listed.has(traceId), traceId).toBe(true);
      });
    }
    // Every acknowledged span is in its run, read through the daemon that was killed.
    for (const [traceId, expected] of acked) expect(await spanIds(b2, rows.get(traceId)![0]!)).toEqual(expected);
    // What the kill left in the runs dir was published and dropped, or dropped at the restart.
    for (const runsDir of [runsA, runsB]) await eventually(async () => expect(await localRunDirs(runsDir)).toEqual([]));
  }, 240_000);
});

describe('a shared backend out of reach', () => {
  it('keeps acknowledging traces while PostgreSQL is down and publishes them once it is back', async () => {
    const backend = await freshBackend('outage');
    const daemon = await serve(backend.config, join(dir, 'outage'));
    const exporter = new OTLPTraceExporter({ url: `http://${daemon.listening.otlp_http}/v1/traces`, timeoutMillis: 10_000 });
    closers.push(() => exporter.shutdown());
    const before = makeSdkSpans('invoke_agent before', 1, { 'gen_ai.agent.id': 'outage' });
    expect(await exportOnce(exporter, before)).toBe(true);
    await eventually(async () => expect((await rowsByTrace(backend.databaseUrl)).get(traceIdOf(before))).toHaveLength(1));

    const down = await postgres.interrupt();
    // 2xx means in this replica's write-ahead log; the writes wait for PostgreSQL.
    const during = Array.from({ length: 3 }, (_, i) => makeSdkSpans(`invoke_agent during-${i}`, 1, { 'gen_ai.agent.id': 'outage' }));
    for (const spans of during) expect(await exportOnce(exporter, spans)).toBe(true);
    await sleep(2000);
    await down.resume();

    await eventually(async () => {
      const rows = await rowsByTrace(backend.databaseUrl);
      // The daemon's log says why a trace is missing (its retries, a write given up).
      for (const spans of [before, ...during]) expect(rows.get(traceIdOf(spans)), `${traceIdOf(spans)}\n${daemon.stderr().slice(-6000)}`).toHaveLength(1);
    });
    await eventually(async () => expect((await listAll(daemon)).map((r) => r.trace_id).sort()).toEqual([before, ...during].map(traceIdOf).sort()));
    expect(await localRunDirs(join(dir, 'outage'))).toEqual([]);
    expect(daemon.stderr()).toMatch(/writing a run failed; will retry/);
  }, 180_000);
});

describe('starting on the shared backend', () => {
  it('refuses in one sentence without its settings, or with PostgreSQL or S3 out of reach', async () => {
    const runsDir = join(dir, 'refused');
    await expect(serve('paracle_config:\n  runs:\n    backend: shared\n', runsDir)).rejects.toThrow(
      /runs\.s3\.bucket: is required with runs\.backend: shared/,
    );
    const backend = await freshBackend('refused');
    const closedPort = 'postgresql://paracle:hunter2@127.0.0.1:1/db';
    const noPostgres = backend.config.replace(backend.databaseUrl, closedPort);
    const refusal = await serve(noPostgres, runsDir).then(() => '', (err: Error) => err.message);
    expect(refusal).toMatch(/paracle: runs\.backend is shared but could not connect to PostgreSQL at postgresql:\/\/paracle:\*\*\*@127\.0\.0\.1:1\/db: .*ECONNREFUSED/);
    expect(refusal).not.toContain('hunter2');
    // One sentence: no notice of the SDK's about Node versions around it.
    expect(refusal.trim().split('\n')).toHaveLength(1);
    const noBucket = backend.config.replace(`bucket: ${s3.bucket}`, 'bucket: no-such-bucket');
    await expect(serve(noBucket, runsDir)).rejects.toThrow(/paracle: runs\.backend is shared but object storage could not reach s3:\/\/no-such-bucket\/refused\/ at http/);
  }, 60_000);
});
