/**
 * A failure after the acknowledgement is never silent (issue 13, Deliver 4), tried on a
 * `paracle serve` process: a trace whose mapping or whose run write fails (injected with
 * `PARACLE_TEST_FAIL_AT`, see src/lib/fault.ts) still becomes a run, without the part that
 * failed and with a note in `metadata.yaml`; a trace that cannot be written at all keeps its
 * write-ahead log segment until a later start writes it; a record that cannot be replayed
 * is moved to `.wal/quarantine/` with a log line, never deleted.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/telemetry/index.js';
import { RecordType, WriteAheadLog } from '../../src/wal/index.js';
import { makeTempDir, removeTempDir, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { CONTENT_TYPES, encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { isFinal, listRuns, traceSpans, waitForRuns, type StoredRun } from '../helpers/runs.js';

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
// Every append seals its segment, so a checkpoint may delete it as soon as its traces are stored.
const CONFIG = 'paracle_config:\n  assembly: { grace_ms: 100 }\n  ingest: { wal: { segment_bytes: 1 } }\n';

let dir: string;
let runsDir: string;
const daemons: DaemonProcess[] = [];
beforeEach(async () => {
  dir = await makeTempDir('paracle-recovery-');
  runsDir = join(dir, 'runs');
  await writeFile(join(dir, 'paracle.yaml'), CONFIG);
});
afterEach(async () => {
  for (const d of daemons.splice(0)) await stop(d);
  await removeTempDir(dir);
});

async function start(env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const d = await spawnDaemon(['--config', join(dir, 'paracle.yaml'), '--runs-dir', runsDir, ...PORT0], env);
  daemons.push(d);
  return d;
}

async function stop(d: DaemonProcess): Promise<number | null> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGTERM');
  const code = await d.exited;
  daemons.splice(daemons.indexOf(d), 1);
  return code;
}

/** Posts an agent trace (a root and two children, each with a marker attribute) and expects a 2xx. */
async function postTrace(d: DaemonProcess): Promise<{ traceId: string; spanIds: string[] }> {
  const spans = makeSdkSpans('invoke_agent recovering', 2, { 'paracle.agent.id': 'recovering', marker: 'kept-attribute' });
  const res = await fetch(`http://${d.listening.otlp_http}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPES.protobuf },
    body: encodeSpans(spans, 'protobuf'),
  });
  expect(res.status).toBe(200);
  return { traceId: spans[0]!.spanContext().traceId, spanIds: spans.map((s) => s.spanContext().spanId) };
}

async function finalRun(traceId: string, timeoutMs = 20_000): Promise<StoredRun> {
  const runs = await waitForRuns(runsDir, (all) => all.some((r) => r.metadata.trace_id === traceId && isFinal(r)), timeoutMs);
  return runs.find((r) => r.metadata.trace_id === traceId)!;
}

/** The write-ahead log segments (not quarantined records) whose bytes hold `traceId`. */
async function segmentsHolding(traceId: string): Promise<string[]> {
  const walDir = join(runsDir, '.wal');
  const names = (await readdir(walDir)).filter((n) => n.endsWith('.wal'));
  const id = Buffer.from(traceId, 'hex');
  const holding: string[] = [];
  for (const name of names) if ((await readFile(join(walDir, name)).catch(() => Buffer.alloc(0))).includes(id)) holding.push(name);
  return holding;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('a failure after the acknowledgement', () => {
  it.each([
    ['the mapping of the trace throws', 'run-mapped:1'],
    ['writing a run file fails', 'run-file:1'],
  ])('still writes the run when %s: every span, the failed part left out and noted', async (_case, failAt) => {
    const d = await start({ PARACLE_TEST_FAIL_AT: failAt });
    const { traceId, spanIds } = await postTrace(d);
    const run = await finalRun(traceId);
    expect(run.metadata.span_count).toBe(3);
    expect((await traceSpans(run)).map((s) => s.spanId).sort()).toEqual([...spanIds].sort());
    const truncated = run.metadata.truncated as { left_out: string[]; note: string };
    expect(truncated.left_out).toEqual(expect.arrayContaining(['span attributes', 'log records']));
    expect(truncated.note).toMatch(/injected fault at run-(mapped|file).*left out/);
    // The attributes are what was left out: none is in the trace written.
    expect(await readFile(join(run.dir, 'trace.json'), 'utf8')).not.toContain('kept-attribute');
    await waitFor('the log line', () => d.stderr().includes('written without attributes, events, links and log records'));
    expect(await stop(d)).toBe(0);
  }, 60_000);

  it('keeps the write-ahead log segment of a trace that cannot be written until a later start writes it', async () => {
    const failing = await start({ PARACLE_TEST_FAIL_AT: 'run-mapped:*' });
    const { traceId, spanIds } = await postTrace(failing);
    await waitFor('the failure logged', () => failing.stderr().includes('storing telemetry failed'));
    // Several checkpoints (one a second) pass: the sealed segment holding the trace stays.
    await sleep(3_000);
    expect(await segmentsHolding(traceId)).toHaveLength(1);
    expect((await listRuns(runsDir)).filter((r) => r.metadata.trace_id === traceId && isFinal(r))).toEqual([]);
    expect(await stop(failing)).toBe(0);
    expect(await segmentsHolding(traceId)).toHaveLength(1);

    // Restarted without the fault: the log is replayed, the run written whole, then the segment goes.
    await start();
    const run = await finalRun(traceId);
    expect(run.metadata.span_count).toBe(3);
    expect(run.metadata.truncated).toBeNull();
    expect((await traceSpans(run)).map((s) => s.spanId).sort()).toEqual([...spanIds].sort());
    expect(await readFile(join(run.dir, 'trace.json'), 'utf8')).toContain('kept-attribute');
    await waitFor('the segment checkpointed', async () => (await segmentsHolding(traceId)).length === 0);
  }, 60_000);

  it('moves a record it cannot replay to .wal/quarantine/ with a log line and replays the rest of its segment', async () => {
    const sent = makeSdkSpans('invoke_agent beside-garbage', 1, { 'paracle.agent.id': 'beside-garbage' });
    const garbage = Buffer.from('this is not an OTLP request');
    const { wal } = await WriteAheadLog.open({ dir: join(runsDir, '.wal'), sync: 'always', segmentBytes: 1 << 20 }, silentLogger());
    await wal.append(RecordType.TRACES_PROTOBUF, garbage, []);
    await wal.append(RecordType.TRACES_PROTOBUF, encodeSpans(sent, 'protobuf'), [sent[0]!.spanContext().traceId]);
    await wal.close();

    const d = await start();
    const run = await finalRun(sent[0]!.spanContext().traceId);
    expect(run.metadata.span_count).toBe(2);
    const folder = join(runsDir, '.wal', 'quarantine');
    const [file, ...others] = await readdir(folder);
    expect(others).toEqual([]);
    expect(file).toMatch(/^0+1-0\.traces\.pb$/);
    expect(await readFile(join(folder, file!))).toEqual(garbage);
    const line = d.stderr().split('\n').find((l) => l.includes('moved to quarantine'));
    expect(line, d.stderr()).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: expect.anything(), file: join(folder, file!), segment: 1 });
    // Its segment is deleted once the good record's run is stored; the quarantined copy stays.
    await waitFor('the segment checkpointed', async () => (await readdir(join(runsDir, '.wal'))).every((n) => !n.endsWith('.wal')));
    expect(await readFile(join(folder, file!))).toEqual(garbage);
  }, 60_000);
});
