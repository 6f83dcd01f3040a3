import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpRoot } from '../../src/codec/otlp/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { encodeLogs, encodeSpans, makeSdkSpans, withContext } from '../helpers/otlp-payloads.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

const LIMIT = 256 * 1024;
const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const GZIP = 2;

/** A raw gRPC client: the bytes sent are exactly the bytes given, so bad input can be sent. */
function rawClient(daemon: TestDaemon, options: Record<string, number> = {}): Client {
  return new Client(daemon.otlpGrpcUrl.replace('http://', ''), credentials.createInsecure(), options);
}

function call(client: Client, body: Uint8Array, path = TRACES): Promise<{ error: ServiceError | null; reply: Buffer | undefined }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, body, new Metadata(), (error, reply) => {
      resolve({ error: error ?? null, reply });
    });
  });
}

function decode(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = otlpRoot.lookupType(typeName);
  return type.toObject(type.decode(bytes), { longs: Number }) as Record<string, unknown>;
}

let d: TestDaemon;
let client: Client;
beforeAll(async () => {
  d = await startTestDaemon({ ingest: { max_body_bytes: LIMIT } });
  client = rawClient(d);
});
afterAll(async () => {
  client.close();
  await d.stop();
});

/** Sends one good trace and waits until it is stored: the server is still healthy. */
async function expectHealthyAndStoring(): Promise<void> {
  const spans = makeSdkSpans('invoke_agent grpc-survivor', 1, { 'paracle.agent.id': 'grpc-survivor' });
  const traceId = spans[0]!.spanContext().traceId;
  expect((await call(client, encodeSpans(spans, 'protobuf'))).error).toBeNull();
  await waitForRuns(d.runsDir, (runs) => runs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
}

describe('OTLP/gRPC bad input', () => {
  it('answers a malformed message with INVALID_ARGUMENT', async () => {
    const { error } = await call(client, Buffer.from('not a protobuf at all \u00ff\u00fe'));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/protobuf/i);
    await expectHealthyAndStoring();
  });

  it('answers a logs payload sent to TraceService with INVALID_ARGUMENT saying so', async () => {
    const { error } = await call(client, encodeLogs('protobuf'));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/logs payload/);
  });

  it('answers an over-size message with RESOURCE_EXHAUSTED, also when it only inflates past the limit', async () => {
    expect((await call(client, Buffer.alloc(LIMIT + 1, 0x20))).error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const zipping = rawClient(d, { 'grpc.default_compression_algorithm': GZIP });
    try {
      const { error } = await call(zipping, Buffer.alloc(LIMIT * 4, 0));
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/decompresses/);
    } finally {
      zipping.close();
    }
    await expectHealthyAndStoring();
  });

  it('takes gzip and answers spans with bad ids with partial_success, keeping the rest', async () => {
    const [child, root] = makeSdkSpans('invoke_agent grpc-partly-bad', 1, { 'paracle.agent.id': 'grpc-partly-bad' });
    const bad = withContext(child!, { traceId: 'abcdef', spanId: child!.spanContext().spanId });
    const zipping = rawClient(d, { 'grpc.default_compression_algorithm': GZIP });
    try {
      const { error, reply } = await call(zipping, encodeSpans([bad, root!], 'protobuf'));
      expect(error).toBeNull();
      const response = decode('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', reply!);
      expect(response.partialSuccess).toMatchObject({ rejectedSpans: 1, errorMessage: expect.stringMatching(/3 bytes/) });
    } finally {
      zipping.close();
    }
    const traceId = root!.spanContext().traceId;
    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    expect(runs.find((r) => r.metadata.trace_id === traceId)?.metadata.span_count).toBe(1);
    const metrics = await (await fetch(`${d.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^paracle_received_spans_total\{protocol="grpc",outcome="rejected"\} [1-9]/m);
    expect(metrics).toMatch(/^paracle_received_spans_total\{protocol="grpc",outcome="accepted"\} [1-9]/m);
  });
});

describe('OTLP/gRPC load shedding', () => {
  it('answers UNAVAILABLE with a RetryInfo detail while the memory bound is reached', async () => {
    const small = await startTestDaemon({ ingest: { max_spans_in_memory: 1 } });
    const smallClient = rawClient(small);
    try {
      // A child without its root stays in memory until the orphan timeout.
      const [child] = makeSdkSpans('invoke_agent held');
      expect((await call(smallClient, encodeSpans([child!], 'protobuf'))).error).toBeNull();
      const { error } = await call(smallClient, encodeSpans(makeSdkSpans('invoke_agent refused'), 'protobuf'));
      expect(error?.code).toBe(status.UNAVAILABLE);
      const [details] = error!.metadata.get('grpc-status-details-bin') as Buffer[];
      const rpcStatus = decode('google.rpc.Status', details!);
      const [detail] = rpcStatus.details as { typeUrl: string; value: Uint8Array }[];
      expect(detail?.typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');
      expect(decode('google.rpc.RetryInfo', detail!.value)).toEqual({ retryDelay: { seconds: 1 } });
    } finally {
      smallClient.close();
      await small.stop();
    }
  });
});
