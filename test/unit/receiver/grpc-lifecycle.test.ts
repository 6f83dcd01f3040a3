import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/codec/otlp/index.js';
import { formatHostPort } from '../../../src/lib/index.js';
import type { LogRecord, Span } from '../../../src/model/index.js';
import { OtlpGrpcReceiver, type IngestTarget } from '../../../src/receiver/otlp/index.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { encodeSpans, makeSdkSpans } from '../../helpers/otlp-payloads.js';

const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** An ingest target whose span consumer waits until `release()`. */
function gatedTarget() {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const received: Span[] = [];
  const target: IngestTarget = {
    spans: { consumeSpans: async (spans) => { received.push(...spans); await gate; } },
    logs: { consumeLogs: (_logs: LogRecord[]) => Promise.resolve() },
    metrics: new Metrics({ defaultMetrics: false }),
    logger: silentLogger(),
    untracedLogs: 'drop',
    limits: DEFAULT_LIMITS,
  };
  return { target, received, release };
}

function exportSpans(address: string): Promise<ServiceError | null> {
  const client = new Client(address, credentials.createInsecure());
  const body = Buffer.from(encodeSpans(makeSdkSpans('invoke_agent lifecycle'), 'protobuf'));
  return new Promise((resolve) => {
    client.makeUnaryRequest(TRACES, (b: Buffer) => b, (b: Buffer) => b, body, new Metadata(), (err) => {
      client.close();
      resolve(err ?? null);
    });
  });
}

describe('OtlpGrpcReceiver lifecycle', () => {
  it('shuts down safely before start and more than once', async () => {
    const receiver = new OtlpGrpcReceiver({ address: { host: '127.0.0.1', port: 0 }, maxMessageBytes: 1024 }, gatedTarget().target);
    await receiver.shutdown();
    await receiver.shutdown();
  });

  it('lets a call in progress finish on shutdown, then takes no more', async () => {
    const { target, received, release } = gatedTarget();
    const receiver = new OtlpGrpcReceiver({ address: { host: '127.0.0.1', port: 0 }, maxMessageBytes: 1 << 20 }, target);
    await receiver.start();
    const address = formatHostPort(receiver.address);
    const inProgress = exportSpans(address);
    while (received.length === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = receiver.shutdown();
    release();
    expect(await inProgress).toBeNull();
    await stopped;
    await receiver.shutdown();
    expect((await exportSpans(address))?.code).toBe(status.UNAVAILABLE);
  });

  it('cuts calls still running when the shutdown grace runs out', async () => {
    const { target, received } = gatedTarget();
    const receiver = new OtlpGrpcReceiver({ address: { host: '127.0.0.1', port: 0 }, maxMessageBytes: 1 << 20, shutdownGraceMs: 50 }, target);
    await receiver.start();
    const stuck = exportSpans(formatHostPort(receiver.address));
    while (received.length === 0) await new Promise((r) => setTimeout(r, 5));
    await receiver.shutdown();
    expect([status.CANCELLED, status.UNAVAILABLE]).toContain((await stuck)?.code);
  });
});
