/**
 * Deep trees (issue 13, Deliver 2: no recursion on data a client controls): a trace whose
 * spans form one chain 20,000 deep, with an attribute of arrays nested 5,000 deep, over
 * OTLP/HTTP (protobuf and JSON) and OTLP/gRPC, to a `paracle serve` process. Each is stored
 * whole (decode, assembly, mapping, encoding, writing), read back in tree order through the
 * API, and replayed from the write-ahead log after a kill right after the acknowledgement.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { spanJson, spanProto, tracesRequestJson, tracesRequestProto } from '../helpers/hostile-payloads.js';
import { isFinal, listRuns, traceSpans, waitForRuns, type StoredRun } from '../helpers/runs.js';

const DEPTH = 20_000;
const ARRAY_DEPTH = 5_000;
const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

let dir: string;
let daemon: DaemonProcess | undefined;
beforeEach(async () => {
  dir = await makeTempDir('paracle-trees-');
  await writeFile(join(dir, 'paracle.yaml'), 'paracle_config:\n  assembly: { grace_ms: 300 }\n');
});
afterEach(async () => {
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  daemon = undefined;
  await removeTempDir(dir);
});

const start = (): Promise<DaemonProcess> => spawnDaemon(['--config', join(dir, 'paracle.yaml'), '--runs-dir', join(dir, 'runs'), ...PORT0]);

/** An AnyValue of arrays nested `depth` deep around a string, as a protobuf KeyValue (built inside out). */
function deepArrayProto(depth: number): Buffer {
  const field = (num: number, body: Buffer): Buffer => Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);
  let value = field(1, Buffer.from('bottom')); // AnyValue{string_value}
  for (let i = 0; i < depth; i++) value = field(5, field(1, value)); // AnyValue{array_value: ArrayValue{values: [value]}}
  return Buffer.concat([field(1, Buffer.from('nested')), field(2, value)]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; ; v = Math.floor(v / 0x80)) {
    if (v < 0x80) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v % 0x80) | 0x80);
  }
}

const deepArrayJson = (depth: number): string =>
  `{"key":"nested","value":${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"bottom"}${']}}'.repeat(depth)}}`;

/** The chain as one request: span i is the parent of span i + 1; the root carries the nested array. */
function chainRequest(traceId: string, format: 'protobuf' | 'json'): Buffer | string {
  if (format === 'json') {
    const spans = [spanJson({ traceId, index: 0, attributes: [deepArrayJson(ARRAY_DEPTH)] })];
    for (let i = 1; i <= DEPTH; i++) spans.push(spanJson({ traceId, index: i, parent: i - 1 }));
    return tracesRequestJson(spans);
  }
  const spans = [spanProto({ traceId, index: 0, attributes: [deepArrayProto(ARRAY_DEPTH)] })];
  for (let i = 1; i <= DEPTH; i++) spans.push(spanProto({ traceId, index: i, parent: i - 1 }));
  return tracesRequestProto(spans);
}

async function send(d: DaemonProcess, transport: 'proto-http' | 'json-http' | 'grpc', traceId: string): Promise<void> {
  if (transport === 'grpc') {
    const client = new Client(d.listening.otlp_grpc, credentials.createInsecure());
    const body = chainRequest(traceId, 'protobuf') as Buffer;
    const error = await new Promise((resolve) => client.makeUnaryRequest(EXPORT, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), (err) => resolve(err ?? null)));
    client.close();
    expect(error).toBeNull();
    return;
  }
  const format = transport === 'json-http' ? 'json' : 'protobuf';
  const res = await fetch(`http://${d.listening.otlp_http}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf' },
    body: chainRequest(traceId, format),
  });
  expect(res.status, await res.text()).toBe(200);
}

async function storedChain(d: DaemonProcess, traceId: string): Promise<StoredRun> {
  const done = (r: StoredRun): boolean => r.metadata.trace_id === traceId && isFinal(r) && r.metadata.span_count === DEPTH + 1;
  const run = (await waitForRuns(join(dir, 'runs'), (runs) => runs.some(done), 60_000)).find(done)!;
  // The array past the depth limit (64) was emptied and counted; nothing else was cut.
  expect(run.metadata.truncated).toMatchObject({ attribute_value_depth: 1 });
  expect(await traceSpans(run)).toHaveLength(DEPTH + 1);
  // The API walks the tree: parents first, the deepest span last, at depth 20,000.
  const last = await fetch(`http://${d.listening.http}/api/v1/runs/${run.runId}/spans?offset=${DEPTH}&limit=1`).then((r) => r.json()) as {
    total: number;
    spans: { depth: number }[];
  };
  expect(last.total).toBe(DEPTH + 1);
  expect(last.spans[0]!.depth).toBe(DEPTH);
  const root = await fetch(`http://${d.listening.http}/api/v1/runs/${run.runId}/spans/${'0'.repeat(15)}1`).then((r) => r.text());
  expect(root.includes('"nested"'), 'the nested array is stored').toBe(true);
  expect(root.includes('bottom'), 'emptied past the depth limit').toBe(false);
  return run;
}

describe('a chain of spans 20,000 deep', () => {
  it.each(['proto-http', 'json-http', 'grpc'] as const)('is stored whole and read back in tree order (%s)', async (transport) => {
    daemon = await start();
    const traceId = randomBytes(16).toString('hex');
    await send(daemon, transport, traceId);
    await storedChain(daemon, traceId);
  }, 120_000);

  it('is replayed whole from the write-ahead log after a kill right after the acknowledgement', async () => {
    const first = await start();
    const traceId = randomBytes(16).toString('hex');
    await send(first, 'proto-http', traceId);
    first.child.kill('SIGKILL');
    await first.exited;
    // Killed within the trace's grace: only the write-ahead log holds it.
    expect((await listRuns(join(dir, 'runs'))).filter((r) => r.metadata.trace_id === traceId && isFinal(r))).toEqual([]);
    daemon = await start();
    await storedChain(daemon, traceId);
  }, 120_000);
});
