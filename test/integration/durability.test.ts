import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { encodeLogs, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { listRuns, traceSpans, waitForRuns, type StoredRun } from '../helpers/runs.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('paracle-durable-');
});
afterEach(async () => {
  await removeTempDir(dir);
});

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];

async function start(runsDir: string, config: string): Promise<DaemonProcess> {
  const file = join(dir, 'paracle.yaml');
  await writeFile(file, `paracle_config:\n${config}`);
  return spawnDaemon(['--config', file, '--runs-dir', runsDir, ...PORT0]);
}

/** Exports `spans` in one request; resolves true when the daemon acknowledged it. */
function exportOnce(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<boolean> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code === ExportResultCode.SUCCESS)));
}

/** Every span id stored, with the runs it is in; and trace ids by run. */
async function storedSpans(runsDir: string): Promise<{ runs: StoredRun[]; spanRuns: Map<string, string[]> }> {
  const runs = await listRuns(runsDir);
  const spanRuns = new Map<string, string[]>();
  for (const run of runs) {
    const spans = await traceSpans(run).catch(() => []);
    for (const s of spans) spanRuns.set(s.spanId, [...(spanRuns.get(s.spanId) ?? []), run.runId]);
  }
  return { runs, spanRuns };
}

function expectNoRunTwice(runs: StoredRun[]): void {
  const traceIds = runs.map((r) => r.metadata.trace_id as string);
  expect(new Set(traceIds).size).toBe(traceIds.length);
}

describe('acknowledged means durable', () => {
  it('keeps every acknowledged span, exactly once, across 20 SIGKILLs', async () => {
    const runsDir = join(dir, 'runs');
    const config = '  assembly: { grace_ms: 200, orphan_timeout_ms: 1000 }\n';
    const acked = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const daemon = await start(runsDir, config);
      const exporter = new OTLPTraceExporter({ url: `http://${daemon.listening.otlp_http}/v1/traces`, timeoutMillis: 1000 });
      let killed = false;
      const sending = (async () => {
        while (!killed) {
          // A trace split over two requests: children first, the root after.
          const [child1, child2, root] = makeSdkSpans('invoke_agent crash-test', 2, { 'paracle.agent.id': 'crash' });
          for (const batch of [[child1!, child2!], [root!]]) {
            if (killed) break;
            if (await exportOnce(exporter, batch)) batch.forEach((s) => acked.add(s.spanContext().spanId));
          }
        }
      })();
      await sleep(50 + Math.floor(Math.random() * 300));
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      killed = true;
      await sending;
      await exporter.shutdown();
      expectNoRunTwice(await listRuns(runsDir));
    }
    expect(acked.size).toBeGreaterThan(20);

    // One last start recovers what the last kill left; then a clean stop writes it all.
    const last = await start(runsDir, config);
    await sleep(1500);
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    const { runs, spanRuns } = await storedSpans(runsDir);
    expectNoRunTwice(runs);
    const missing = [...acked].filter((id) => !spanRuns.has(id));
    expect(missing).toEqual([]);
    const twice = [...spanRuns].filter(([, inRuns]) => inRuns.length > 1);
    expect(twice).toEqual([]);
  }, 300_000);

  it('skips a torn last WAL record with a log line and recovers the rest', async () => {
    const runsDir = join(dir, 'runs');
    const config = '  assembly: { grace_ms: 60000 }\n';
    const daemon = await start(runsDir, config);
    const exporter = new OTLPTraceExporter({ url: `http://${daemon.listening.otlp_http}/v1/traces` });
    const whole = makeSdkSpans('invoke_agent survivor', 1, { 'paracle.agent.id': 'survivor' });
    const torn = makeSdkSpans('invoke_agent torn', 1, { 'paracle.agent.id': 'torn' });
    expect(await exportOnce(exporter, whole)).toBe(true);
    expect(await exportOnce(exporter, torn)).toBe(true);
    await exporter.shutdown();
    daemon.child.kill('SIGKILL');
    await daemon.exited;

    const walDir = join(runsDir, '.wal');
    const [segment] = (await readdir(walDir)).sort().slice(-1);
    const path = join(walDir, segment!);
    await truncate(path, (await stat(path)).size - 10);

    const restarted = await start(runsDir, config);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    expect(restarted.stderr()).toContain('skipping a torn record');
    const { runs, spanRuns } = await storedSpans(runsDir);
    const survivor = runs.find((r) => r.metadata.trace_id === whole[0]!.spanContext().traceId);
    expect(survivor?.metadata.status).toBe('completed');
    expect(whole.every((s) => spanRuns.has(s.spanContext().spanId))).toBe(true);
    expect(torn.some((s) => spanRuns.has(s.spanContext().spanId))).toBe(false);
  });

  it('resumes a trace left unfinished by SIGTERM after a restart, in the same run', async () => {
    const runsDir = join(dir, 'runs');
    const config = '  assembly: { grace_ms: 200 }\n';
    const [child, root] = makeSdkSpans('invoke_agent resumed', 1, { 'paracle.agent.id': 'resumed' });
    const traceId = root!.spanContext().traceId;

    const first = await start(runsDir, config);
    const exporter1 = new OTLPTraceExporter({ url: `http://${first.listening.otlp_http}/v1/traces` });
    expect(await exportOnce(exporter1, [child!])).toBe(true);
    await exporter1.shutdown();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const before = (await listRuns(runsDir)).filter((r) => r.metadata.trace_id === traceId);
    expect(before.map((r) => r.metadata.status)).toEqual(['running']);

    const second = await start(runsDir, config);
    const exporter2 = new OTLPTraceExporter({ url: `http://${second.listening.otlp_http}/v1/traces` });
    expect(await exportOnce(exporter2, [root!])).toBe(true);
    await exporter2.shutdown();
    const after = await waitForRuns(runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId && r.metadata.status === 'completed'));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const mine = after.filter((r) => r.metadata.trace_id === traceId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.metadata.span_count).toBe(2);
    expect((await traceSpans(mine[0]!)).map((s) => s.spanId).sort()).toEqual(
      [child!.spanContext().spanId, root!.spanContext().spanId].sort(),
    );
  });

  it('keeps acknowledged log records across a SIGKILL', async () => {
    const runsDir = join(dir, 'runs');
    const config = '  assembly: { grace_ms: 60000 }\n';
    const daemon = await start(runsDir, config);
    const spans = makeSdkSpans('invoke_agent logger', 1, { 'paracle.agent.id': 'logger' });
    const exporter = new OTLPTraceExporter({ url: `http://${daemon.listening.otlp_http}/v1/traces` });
    expect(await exportOnce(exporter, spans)).toBe(true);
    await exporter.shutdown();
    const res = await fetch(`http://${daemon.listening.otlp_http}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeLogs('protobuf', spans[0], 'survives the crash'),
    });
    expect(res.status).toBe(200);
    daemon.child.kill('SIGKILL');
    await daemon.exited;

    const restarted = await start(runsDir, config);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    const run = (await listRuns(runsDir)).find((r) => r.metadata.trace_id === spans[0]!.spanContext().traceId);
    expect(await readFile(join(run!.dir, 'logs.txt'), 'utf8')).toContain('msg="survives the crash"');
  });
});
