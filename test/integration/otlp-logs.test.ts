import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { context, trace, type Span } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { inSpan, startLogging, startTracing, type ExporterKind } from '../helpers/otel.js';
import { CONTENT_TYPES, encodeLogs, encodeSpans, makeSdkSpans, type PayloadFormat } from '../helpers/otlp-payloads.js';
import { isFinal, waitForRuns, waitForText } from '../helpers/runs.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon();
});
afterAll(async () => {
  await d.stop();
});

/** The `msg` of each logs.txt line. */
const messages = (text: string): string[] => text.trimEnd().split('\n').map((line) => JSON.parse(/ msg=("(?:[^"\\]|\\.)*")/.exec(line)![1]!) as string);

describe.each<ExporterKind>(['http-json', 'http-proto', 'grpc'])('log records over %s', (kind) => {
  it('land in their run\'s logs.txt in time order with span events, and late ones are appended', async () => {
    const tracing = startTracing('http-proto', d.otlpUrl, { serviceName: `logger-${kind}` });
    const { logger, flush, shutdown } = startLogging(kind, d.endpoint(kind), `logger-${kind}`);
    // Explicit times: the SDK's span clock and Date.now() may differ by a few milliseconds.
    const t0 = Date.now();
    let root: Span | undefined;
    const traceId = await inSpan(tracing.tracer, 'invoke_agent logger', { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': `logger-${kind}` }, async (span) => {
      root = span;
      logger.emit({ timestamp: t0 + 1, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'starting work', attributes: { step: 'one' } });
      await inSpan(tracing.tracer, 'execute_tool search', { 'gen_ai.operation.name': 'execute_tool' }, (tool) => {
        tool.addEvent('tool.called', { query: 'cats' }, t0 + 2);
        logger.emit({ timestamp: t0 + 3, severityNumber: SeverityNumber.WARN, body: 'slow tool', attributes: { 'latency.ms': 1200 } });
      });
      logger.emit({ timestamp: t0 + 4, severityNumber: SeverityNumber.ERROR, body: 'gave up', attributes: { retry: false } });
      return span.spanContext().traceId;
    });
    await flush();
    await tracing.shutdown();

    const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
    const run = runs.find((r) => r.metadata.trace_id === traceId)!;
    const logsPath = join(run.dir, 'logs.txt');
    const lines = (await readFile(logsPath, 'utf8')).trimEnd().split('\n');
    expect(messages(lines.join('\n'))).toEqual(['starting work', 'tool.called', 'slow tool', 'gave up']);
    expect(lines[0]).toMatch(new RegExp(`^\\S+Z INFO span="invoke_agent logger" trace_id=${traceId} span_id=[0-9a-f]{16} msg="starting work" step=one$`));
    expect(lines[1]).toMatch(/ INFO span="execute_tool search" .* msg="tool.called" query=cats$/);
    expect(lines[2]).toMatch(/ WARN span="execute_tool search" .* msg="slow tool" latency.ms=1200$/);
    expect(lines[3]).toMatch(/ ERROR span="invoke_agent logger" .* msg="gave up" retry=false$/);

    const metadata = await readFile(join(run.dir, 'metadata.yaml'), 'utf8');
    context.with(trace.setSpan(context.active(), root!), () => {
      logger.emit({ timestamp: t0 + 10, severityNumber: SeverityNumber.INFO, body: 'after the run', attributes: { late: true } });
    });
    await shutdown();
    const after = await waitForText(logsPath, (text) => text.includes('after the run'));
    expect(messages(after)).toEqual(['starting work', 'tool.called', 'slow tool', 'gave up', 'after the run']);
    expect(after).toMatch(/ INFO span="invoke_agent logger" .* msg="after the run" late=true\n$/);
    expect(await readFile(join(run.dir, 'metadata.yaml'), 'utf8')).toBe(metadata);
  });
});

async function post(daemon: TestDaemon, path: string, format: PayloadFormat, body: Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${daemon.otlpUrl}${path}`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES[format], ...headers }, body });
  return { status: res.status, text: await res.text() };
}

describe('POST /v1/logs', () => {
  it.each<PayloadFormat>(['json', 'protobuf'])('answers a %s traces payload with 400 saying so', async (format) => {
    const res = await post(d, '/v1/logs', format, encodeSpans(makeSdkSpans('invoke_agent misplaced'), format));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/traces/);
    expect(res.text).toMatch(/\/v1\/traces/);
  });

  it('takes gzip and counts records with no trace id as dropped by default', async () => {
    const res = await post(d, '/v1/logs', 'protobuf', gzipSync(encodeLogs('protobuf')), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${d.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^paracle_received_log_records_total\{protocol="http_protobuf",outcome="dropped"\} 1$/m);
  });

  it('appends records with no trace id to untraced/YYYY-MM-DD.log when configured', async () => {
    const fileMode = await startTestDaemon({ ingest: { untraced_logs: 'file' } });
    try {
      expect((await post(fileMode, '/v1/logs', 'json', encodeLogs('json'))).status).toBe(200);
      const day = new Date().toISOString().slice(0, 10);
      const text = await waitForText(join(fileMode.runsDir, 'untraced', `${day}.log`), (t) => t !== '');
      expect(text).toMatch(/^\S+Z INFO span="" trace_id="" span_id="" msg="hello"\n$/);
    } finally {
      await fileMode.stop();
    }
  });
});
