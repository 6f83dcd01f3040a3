import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { makeSdkSpans } from '../helpers/otlp-payloads.js';
import { listRuns, traceSpans } from '../helpers/runs.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('paracle-write-crash-');
});
afterEach(async () => {
  await removeTempDir(dir);
});

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
// Short enough that a trace whose root comes 100 ms after its children is first written as
// running, then moved (its start, and so its id, moves earlier with the root).
const CONFIG = 'paracle_config:\n  assembly: { grace_ms: 100, orphan_timeout_ms: 1000, running_after_ms: 50 }\n';

async function start(runsDir: string, crashAt?: string): Promise<DaemonProcess | null> {
  const file = join(dir, 'paracle.yaml');
  await writeFile(file, CONFIG);
  const env = crashAt ? { PARACLE_TEST_CRASH_AT: crashAt } : {};
  // A crash point reached while replaying can stop the daemon before it listens.
  return spawnDaemon(['--config', file, '--runs-dir', runsDir, ...PORT0], env).catch(() => null);
}

function exportOnce(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<boolean> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code === ExportResultCode.SUCCESS)));
}

describe('a crash inside the run-store worker', () => {
  it('keeps every acknowledged span exactly once in one run per trace, wherever a write is cut', async () => {
    const runsDir = join(dir, 'runs');
    const acked = new Set<string>();
    let crashed = 0;
    for (let round = 0; round < 12; round++) {
      // The n-th run file put in place, or the n-th whole run written, kills the process.
      const point = round % 3 === 2 ? 'run-written' : 'run-file';
      const daemon = await start(runsDir, `${point}:${1 + Math.floor(Math.random() * 25)}`);
      if (!daemon) continue;
      const exporter = new OTLPTraceExporter({ url: `http://${daemon.listening.otlp_http}/v1/traces`, timeoutMillis: 1000 });
      let alive = true;
      void daemon.exited.then(() => (alive = false));
      for (let n = 0; alive && n < 40; n++) {
        const [child1, child2, root] = makeSdkSpans('invoke_agent write-crash', 2, { 'paracle.agent.id': 'write-crash' });
        if (await exportOnce(exporter, [child1!, child2!])) [child1!, child2!].forEach((s) => acked.add(s.spanContext().spanId));
        if (n % 2 === 0) await sleep(100);
        if (await exportOnce(exporter, [root!])) acked.add(root!.spanContext().spanId);
      }
      if (!alive) crashed++;
      // A round whose crash point was not reached ends with a kill all the same.
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      await exporter.shutdown();
    }
    expect(acked.size).toBeGreaterThan(30);
    // Most rounds stopped at their crash point, inside the worker's writes, not at our kill.
    expect(crashed).toBeGreaterThanOrEqual(6);

    const last = await start(runsDir);
    await sleep(2500);
    last!.child.kill('SIGTERM');
    expect(await last!.exited).toBe(0);
    const runs = await listRuns(runsDir);
    const traceIds = runs.map((r) => r.metadata.trace_id as string);
    expect(traceIds.length - new Set(traceIds).size).toBe(0);
    const spanRuns = new Map<string, number>();
    for (const run of runs) for (const s of await traceSpans(run)) spanRuns.set(s.spanId, (spanRuns.get(s.spanId) ?? 0) + 1);
    expect([...acked].filter((id) => !spanRuns.has(id))).toEqual([]);
    expect([...spanRuns].filter(([, count]) => count > 1)).toEqual([]);
    expect(runs.filter((r) => r.metadata.status !== 'completed')).toEqual([]);
  }, 180_000);
});
