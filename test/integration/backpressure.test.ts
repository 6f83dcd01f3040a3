import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestDaemon, makeTempDir, removeTempDir, type TestDaemon } from '../helpers/daemon.js';
import { inSpan, startTracing } from '../helpers/otel.js';
import { encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { isFinal, listRuns, traceSpans, waitForRuns } from '../helpers/runs.js';

/** The daemon's count of spans it refused (503s included). */
async function rejectedSpans(d: TestDaemon): Promise<number> {
  const text = await (await fetch(`${d.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('paracle_received_spans_total{') && l.includes('outcome="rejected"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('backpressure', () => {
  let d: TestDaemon;
  afterEach(async () => {
    await d.stop();
  });

  it('answers a flood with 503 + Retry-After past a tiny memory bound, and the exporters retries deliver everything', async () => {
    d = await startTestDaemon({ ingest: { max_spans_in_memory: 10 }, assembly: { grace_ms: 50 } });
    const sent: string[] = [];
    await Promise.all(
      [0, 1, 2].map(async (sender) => {
        const tracing = startTracing('http-proto', d.otlpUrl, { serviceName: `flood-${sender}` });
        for (let i = 0; i < 40; i++) {
          await inSpan(tracing.tracer, 'invoke_agent flood', { 'paracle.agent.id': `flood-${sender}` }, async (root) => {
            sent.push(root.spanContext().traceId);
            await inSpan(tracing.tracer, 'chat', { 'gen_ai.operation.name': 'chat' }, () => undefined);
          });
        }
        await tracing.shutdown();
      }),
    );
    expect(await rejectedSpans(d)).toBeGreaterThan(0);
    const runs = await waitForRuns(d.runsDir, (rs) => rs.filter(isFinal).length >= sent.length, 30_000);
    expect(new Set(runs.map((r) => r.metadata.trace_id))).toEqual(new Set(sent));
    const stored = (await Promise.all(runs.map(traceSpans))).flat();
    expect(stored).toHaveLength(sent.length * 2);
  }, 60_000);

  it('tells the sender to come back later with Retry-After', async () => {
    d = await startTestDaemon({ ingest: { max_spans_in_memory: 2 }, assembly: { grace_ms: 60_000 } });
    const post = (body: Uint8Array) =>
      fetch(`${d.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect((await post(encodeSpans(makeSdkSpans('invoke_agent a', 1), 'protobuf'))).status).toBe(200);
    const refused = await post(encodeSpans(makeSdkSpans('invoke_agent b', 1), 'protobuf'));
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Needs root to mount a small tmpfs (CI and the dev machines run as root).
describe.skipIf(!canMountTmpfs())('a full disk', () => {
  let dir: string;
  let mountPoint: string;
  let d: TestDaemon;
  beforeEach(async () => {
    dir = await makeTempDir('paracle-diskfull-');
    mountPoint = join(dir, 'runs');
    await mkdir(mountPoint);
    // 1 MiB free at the start (the filler takes the rest); once it is removed the runs of
    // everything acknowledged (about twice its WAL bytes, plus the WAL until checkpointed) must fit.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mountPoint]);
  });
  afterEach(async () => {
    await d?.stop().catch(() => undefined);
    execFileSync('umount', ['-l', mountPoint]);
    await removeTempDir(dir);
  });

  it('refuses with 503 while full, loses nothing acknowledged, and writes the backlog once space is freed', async () => {
    const filler = join(mountPoint, 'filler.bin');
    await writeFile(filler, Buffer.alloc(11 * 1024 * 1024));
    d = await startTestDaemon({ assembly: { grace_ms: 50 } }, { runsDir: mountPoint });
    const acked: string[] = [];
    let refused = 0;
    for (let i = 0; i < 400 && refused < 5; i++) {
      const spans = makeSdkSpans('invoke_agent disk', 2, { 'paracle.agent.id': 'disk', 'paracle.input': 'x'.repeat(8000) });
      const res = await fetch(`${d.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeSpans(spans, 'protobuf') });
      if (res.status === 200) acked.push(spans[0]!.spanContext().traceId);
      else {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).not.toBeNull();
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);

    await rm(filler);
    const runs = await waitForRuns(
      mountPoint,
      (rs) => acked.every((id) => rs.some((r) => r.metadata.trace_id === id && isFinal(r))),
      30_000,
    );
    for (const id of acked) {
      const run = runs.find((r) => r.metadata.trace_id === id)!;
      expect(await traceSpans(run)).toHaveLength(3);
    }
    // One listing: runs of refused requests (their spans were taken, only the WAL failed)
    // may still be appearing.
    const stored = await listRuns(mountPoint);
    expect(new Set(stored.map((r) => r.metadata.trace_id)).size).toBe(stored.length);
  }, 60_000);
});
