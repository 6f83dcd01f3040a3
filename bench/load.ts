/**
 * Senders of pre-encoded OTLP requests: closed loop (several senders, each waiting for its
 * ack before sending the next) and open loop (requests on a fixed schedule, answered or not).
 * A request the server sheds (HTTP 503/429, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED) is sent again
 * after the Retry-After it was given, as an OTel exporter does; its latency runs until the ack.
 */
import { Client, Metadata, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from './processes.js';

export type Protocol = 'http' | 'grpc';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Sends one body and resolves on success; `retryAfterMs` is set when the server shed it. */
type Send = (body: Buffer) => Promise<{ retryAfterMs: number | null }>;

/** A connection (HTTP keep-alive socket pool or gRPC channel) to one server. */
export interface Sender {
  send: Send;
  close(): void;
}

/** Sends `Authorization: Bearer <token>` with every request (an ingest token). */
export interface SendAuth {
  token?: string;
}

export function httpSender(target: Endpoint, maxSockets: number, auth: SendAuth = {}): Sender {
  const authorization = auth.token ? { authorization: `Bearer ${auth.token}` } : {};
  const agent = new Agent({ keepAlive: true, maxSockets });
  const send: Send = (body) =>
    new Promise((resolveSend, reject) => {
      const req = request(
        {
          host: target.host,
          port: target.port,
          path: '/v1/traces',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...authorization },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) return resolveSend({ retryAfterMs: null });
            if (res.statusCode === 503 || res.statusCode === 429) {
              return resolveSend({ retryAfterMs: Number(res.headers['retry-after'] ?? 1) * 1000 });
            }
            reject(new Error(`OTLP/HTTP answered ${res.statusCode}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

export function grpcSender(target: Endpoint, auth: SendAuth = {}): Sender {
  // A pool of its own, so each sender is its own HTTP/2 connection as separate exporters are.
  const client = new Client(`${target.host}:${target.port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const identity = (b: Buffer): Buffer => b;
  const metadata = new Metadata();
  if (auth.token) metadata.set('authorization', `Bearer ${auth.token}`);
  const send: Send = (body) =>
    new Promise((resolveSend, reject) => {
      client.makeUnaryRequest(EXPORT_PATH, identity, identity, body, metadata.clone(), (error) => {
        if (!error) return resolveSend({ retryAfterMs: null });
        if (error.code === GrpcStatus.UNAVAILABLE || error.code === GrpcStatus.RESOURCE_EXHAUSTED) return resolveSend({ retryAfterMs: 1000 });
        reject(error);
      });
    });
  return { send, close: () => client.close() };
}

export function makeSender(protocol: Protocol, server: { otlpHttp: Endpoint; otlpGrpc: Endpoint }, maxSockets: number, auth: SendAuth = {}): Sender {
  return protocol === 'http' ? httpSender(server.otlpHttp, maxSockets, auth) : grpcSender(server.otlpGrpc, auth);
}

/** What a load phase measured. */
export interface LoadResult {
  requests: number;
  seconds: number;
  /** Ack latency of each request in ms, sorted. */
  latencies: number[];
  /** Requests the server shed and that were sent again. */
  retries: number;
}

async function sendUntilAcked(sender: Sender, body: Buffer, counter: { retries: number }): Promise<void> {
  for (;;) {
    const { retryAfterMs } = await sender.send(body);
    if (retryAfterMs === null) return;
    counter.retries++;
    await sleep(retryAfterMs);
  }
}

/**
 * `concurrency` senders, each its own connection, share `bodies` in order; after `maxSeconds`
 * they send no new body (the result counts the requests sent).
 */
export async function closedLoop(
  protocol: Protocol,
  server: { otlpHttp: Endpoint; otlpGrpc: Endpoint },
  bodies: readonly Buffer[],
  concurrency: number,
  maxSeconds = Infinity,
  auth: SendAuth = {},
): Promise<LoadResult> {
  const senders = Array.from({ length: concurrency }, () => makeSender(protocol, server, 1, auth));
  const latencies: number[] = [];
  const counter = { retries: 0 };
  let next = 0;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  try {
    await Promise.all(
      senders.map(async (sender) => {
        while (next < bodies.length && performance.now() < deadline) {
          const body = bodies[next++]!;
          const t = performance.now();
          await sendUntilAcked(sender, body, counter);
          latencies.push(performance.now() - t);
        }
      }),
    );
  } finally {
    for (const sender of senders) sender.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { requests: latencies.length, seconds, latencies: latencies.sort((a, b) => a - b), retries: counter.retries };
}

/**
 * Offers `perSecond` requests per second for `seconds` (OTLP/HTTP, a pool of keep-alive
 * connections), whatever the answers. Latency counts from the moment a request was due, so a
 * stalled server is not hidden by requests that were sent late. Requests still unanswered
 * `drainSeconds` after the last was due count with the latency they had by then (`unanswered`).
 */
export async function openLoop(
  server: { otlpHttp: Endpoint; otlpGrpc: Endpoint },
  bodies: readonly Buffer[],
  perSecond: number,
  seconds: number,
  drainSeconds = Infinity,
): Promise<LoadResult & { unanswered: number }> {
  const total = Math.min(bodies.length, Math.round(perSecond * seconds));
  const sender = makeSender('http', server, 256);
  const latencies: number[] = [];
  const counter = { retries: 0 };
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  try {
    while (sent < total) {
      const now = performance.now();
      for (; sent < total && started + (sent * 1000) / perSecond <= now; sent++) {
        const due = started + (sent * 1000) / perSecond;
        const acked = sendUntilAcked(sender, bodies[sent]!, counter).then(() => void latencies.push(performance.now() - due));
        // After the drain timeout the connections are destroyed; those requests count below.
        acked.catch(() => undefined);
        pending.push(acked);
      }
      if (sent < total) await sleep(Math.max(0, started + (sent * 1000) / perSecond - performance.now()));
    }
    const drained = Promise.all(pending).then(() => true);
    const timer = Number.isFinite(drainSeconds) ? sleep(drainSeconds * 1000, false, { ref: false }) : new Promise<boolean>(() => {});
    await Promise.race([drained, timer]);
  } finally {
    sender.close();
  }
  const now = performance.now();
  const answered = latencies.slice();
  const unanswered = total - answered.length;
  // Which ones are unanswered is not tracked: the latest due get the smallest waits (a lower bound).
  for (let i = answered.length; i < total; i++) answered.push(now - started - (i * 1000) / perSecond);
  return { requests: total, seconds: (now - started) / 1000, latencies: answered.sort((a, b) => a - b), retries: counter.retries, unanswered };
}

/** The p-th percentile (0..100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
