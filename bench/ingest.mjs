// Ingest benchmark: the daemon's OTLP/HTTP ack throughput and latency, and the time until
// every run is on disk, for one or more builds measured in the same run (the first build
// given is the baseline the others are compared with).
//
//   node bench/ingest.mjs [--dist DIR]... [--traces N] [--concurrency C] [--spans S] [--grace-ms MS]
//
// A long grace (e.g. 5000) keeps run writes out of the ack window, measuring the ack path alone.
import { request, Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const { values } = parseArgs({
  options: {
    dist: { type: 'string', multiple: true, default: ['dist'] },
    traces: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '10' },
    'grace-ms': { type: 'string', default: '1' },
  },
});
const TRACES = Number(values.traces);
const CONCURRENCY = Number(values.concurrency);
const SPANS = Number(values.spans);
const GRACE_MS = Number(values['grace-ms']);

/** Unique agent runs of SPANS spans each, encoded once by the real OTel serializer. */
function encodeRequests() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench');
  const bodies = [];
  for (let i = 0; i < TRACES; i++) {
    const root = tracer.startSpan('invoke_agent bench', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': `agent-${i % 20}` } });
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    for (let c = 1; c < SPANS; c++) {
      tracer
        .startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20 } }, ctx)
        .end();
    }
    root.end();
    bodies.push(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()));
    memory.reset();
  }
  return bodies;
}

function post(agent, port, body) {
  return new Promise((resolvePost, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolvePost() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(dist, bodies) {
  const { startDaemon } = await import(resolve(dist, 'service/index.js'));
  const { validateConfig } = await import(resolve(dist, 'config/index.js'));
  const { silentLogger } = await import(resolve(dist, 'telemetry/index.js'));
  const runsDir = mkdtempSync(join(tmpdir(), 'paracle-bench-'));
  const loopback = { host: '127.0.0.1', port: 0 };
  const config = validateConfig({ assembly: { grace_ms: GRACE_MS } }, null);
  const daemon = await startDaemon({ config, runsDir, otlpHttp: loopback, otlpGrpc: loopback, http: loopback }, silentLogger());
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const start = performance.now();
        await post(agent, daemon.addresses.otlpHttp.port, body);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const ackSeconds = (performance.now() - t0) / 1000;
  await daemon.shutdown();
  const endToEndSeconds = (performance.now() - t0) / 1000;
  agent.destroy();
  rmSync(runsDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    dist,
    ackSpansPerSecond: Math.round((bodies.length * SPANS) / ackSeconds),
    p50AckMs: +percentile(latencies, 50).toFixed(2),
    p99AckMs: +percentile(latencies, 99).toFixed(2),
    runsPerSecondEndToEnd: Math.round(bodies.length / endToEndSeconds),
  };
}

const bodies = encodeRequests();
const results = [];
for (const dist of values.dist) results.push(await measure(dist, bodies));
const base = results[0];
console.log(`${TRACES} traces x ${SPANS} spans, ${CONCURRENCY} concurrent senders, OTLP/HTTP protobuf, grace ${GRACE_MS} ms`);
for (const r of results) {
  const ratio = (key) => (r[key] / base[key]).toFixed(2);
  console.log(
    `${r.dist.padEnd(28)} ack ${String(r.ackSpansPerSecond).padStart(7)} spans/s (x${ratio('ackSpansPerSecond')})` +
      `  p50 ${r.p50AckMs} ms (x${ratio('p50AckMs')})  p99 ${r.p99AckMs} ms (x${ratio('p99AckMs')})` +
      `  end-to-end ${r.runsPerSecondEndToEnd} runs/s (x${ratio('runsPerSecondEndToEnd')})`,
  );
}
