/**
 * Running short of file descriptors (issue 13, Deliver 5): a `paracle serve` process with a
 * low open-file limit (`prlimit --nofile`) is flooded with idle connections while an
 * exporter sends traces. Every request is answered 2xx or shed (503, or the connection cut),
 * never a 2xx whose data is then lost; the store never sees EMFILE while the connection
 * budget holds; `/healthz` answers again once the flood ends; every acknowledged span is on
 * disk.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { spanProto, tracesRequestProto } from '../helpers/hostile-payloads.js';
import { isFinal, listRuns, traceSpans } from '../helpers/runs.js';

const FILE_LIMIT = 256;
const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];

let dir: string;
let daemon: DaemonProcess | undefined;
const sockets: Socket[] = [];
beforeEach(async () => {
  dir = await makeTempDir('paracle-descriptors-');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  daemon = undefined;
  await removeTempDir(dir);
});

/** Starts `paracle serve` under an open-file limit of {@link FILE_LIMIT} with `config` (YAML lines under paracle_config). */
async function startLimited(config: string[]): Promise<DaemonProcess> {
  const file = join(dir, 'paracle.yaml');
  await writeFile(file, ['paracle_config:', '  assembly: { grace_ms: 100 }', ...config].join('\n'));
  const args = ['--config', file, '--runs-dir', join(dir, 'runs'), ...PORT0];
  return spawnDaemon(args, {}, undefined, ['prlimit', `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`]);
}

/** Opens `count` connections to `address` that send nothing (each holds a descriptor of the daemon while open). */
async function flood(address: string, count: number): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  for (let i = 0; i < count; i++) {
    const socket = connect({ host, port: Number(port) });
    socket.on('error', () => undefined);
    socket.resume();
    sockets.push(socket);
    if (i % 50 === 49) await sleep(20);
  }
}

/** A trace of a root and `children` children, sent as one OTLP/HTTP protobuf request. */
interface Sent {
  traceId: string;
  spans: number;
  /** The HTTP status, or 0 when the connection failed. */
  status: number;
}

async function sendTrace(address: string, children: number): Promise<Sent> {
  const traceId = randomBytes(16).toString('hex');
  const spans = [spanProto({ traceId, index: 0 })];
  for (let i = 1; i <= children; i++) spans.push(spanProto({ traceId, index: i, parent: 0 }));
  const status = await fetch(`http://${address}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: tracesRequestProto(spans),
    signal: AbortSignal.timeout(10_000),
  }).then((res) => res.status, () => 0);
  return { traceId, spans: children + 1, status };
}

async function healthy(address: string): Promise<boolean> {
  const res = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
  return res?.status === 200;
}

/** Expects each acknowledged trace's run on disk, final, with every span. */
async function expectStored(runsDir: string, sent: readonly Sent[]): Promise<void> {
  const acked = sent.filter((s) => s.status === 200);
  const deadline = Date.now() + 30_000;
  let missing = acked;
  while (missing.length > 0 && Date.now() < deadline) {
    const runs = await listRuns(runsDir);
    missing = acked.filter((s) => !runs.some((r) => r.metadata.trace_id === s.traceId && isFinal(r) && r.metadata.span_count === s.spans));
    if (missing.length > 0) await sleep(200);
  }
  expect(missing.map((s) => s.traceId)).toEqual([]);
  const runs = await listRuns(runsDir);
  for (const s of acked) expect(await traceSpans(runs.find((r) => r.metadata.trace_id === s.traceId)!)).toHaveLength(s.spans);
}

describe('a daemon short of file descriptors', () => {
  it.each([
    ['the default connection budget', []],
    ['a connection budget set past the open-file limit (lowered, with a warning)', ['  daemon: { max_connections: 100000 }']],
  ])('keeps descriptors for the store under a flood of idle connections, with %s', async (_case, config) => {
    daemon = await startLimited(config);
    const { otlp_http: otlp, http } = daemon.listening;
    if (config.length > 0) expect(daemon.stderr()).toContain('daemon.max_connections is past what the open-file limit leaves the store; lowered');
    const sent: Sent[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 30; i++) sent.push(await sendTrace(otlp, 20));
    })();
    await flood(otlp, 2 * FILE_LIMIT);
    await traffic;
    // Answered or shed, nothing else: a 503, or the connection cut.
    for (const s of sent) expect([0, 200, 503], s.traceId).toContain(s.status);
    // (How many got through while the flood lasted depends on timing; slow-clients.test.ts
    // proves the budget makes room for a normal exporter.)

    for (const s of sockets.splice(0)) s.destroy();
    await expect.poll(() => healthy(http), { timeout: 10_000 }).toBe(true);
    const after = await sendTrace(otlp, 20);
    expect(after.status).toBe(200);
    await expectStored(join(dir, 'runs'), [...sent, after]);
    // Never out of descriptors: no accept failed, no store write had to be retried.
    const trouble = daemon.stderr().split('\n').filter((line) => /EMFILE|ENFILE|out of file descriptors|writing a run failed/.test(line));
    expect(trouble).toEqual([]);
  }, 90_000);
});
