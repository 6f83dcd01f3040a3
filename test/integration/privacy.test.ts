/**
 * Private by default (INTERFACE.md §8): the corpus of secrets and personal data sent by the
 * real OTel exporters over the three transports, and uploaded as artifacts, is found nowhere
 * in the runs dir (WAL, index, archives and compressed files opened), in /metrics or in the
 * daemon's stderr; each replacement stands where its value was; look-alikes stay as they are.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanBytes, scanTree } from '../helpers/byte-scan.js';
import { makeTempDir, removeTempDir, runCli, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { NEGATIVES, SAMPLES, needleOf, replacedOf } from '../helpers/privacy-corpus.js';
import { placements, sendPlacements, type Placement } from '../helpers/privacy-traffic.js';
import { sumOf } from '../helpers/metrics.js';
import { waitForFinalRuns, type StoredRun } from '../helpers/runs.js';
import type { ExporterKind } from '../helpers/otel.js';
import { encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { RecordType, WriteAheadLog } from '../../src/wal/index.js';
import { silentLogger } from '../../src/telemetry/index.js';

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];
const KINDS: ExporterKind[] = ['http-json', 'http-proto', 'grpc'];
const NEEDLES = SAMPLES.map(needleOf);

let dir: string;
let daemon: DaemonProcess | undefined;

beforeEach(async () => {
  dir = await makeTempDir('paracle-privacy-');
});
afterEach(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  daemon = undefined;
  await removeTempDir(dir);
});

async function startDaemon(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<{ runsDir: string; process: DaemonProcess }> {
  const file = join(dir, 'paracle.yaml');
  await writeFile(file, JSON.stringify({ paracle_config: config }));
  const runsDir = join(dir, 'runs');
  daemon = await spawnDaemon(['--config', file, '--runs-dir', runsDir, ...PORT0], { PARACLE_LOG_LEVEL: 'debug', ...env });
  return { runsDir, process: daemon };
}

async function stop(process: DaemonProcess): Promise<void> {
  process.child.kill('SIGTERM');
  expect(await process.exited).toBe(0);
}

/** Every string an attribute, name or message of `trace.json` holds. */
function traceStrings(traceJson: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [traceJson];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) stack.push(...(value as unknown[]));
    else if (value !== null && typeof value === 'object') stack.push(...Object.values(value));
  }
  return out;
}

/** Checks that each placement's replacement stands where its value was. */
async function expectReplacementsInPlace(run: StoredRun, places: readonly Placement[]): Promise<void> {
  const strings = traceStrings(JSON.parse(await readFile(join(run.dir, 'trace.json'), 'utf8')));
  const logs = await readFile(join(run.dir, 'logs.txt'), 'utf8');
  for (const p of places) {
    if (p.where === 'artifact') expect(await readFile(join(run.dir, 'artifacts', p.key), 'utf8'), p.key).toBe(p.expected);
    else if (p.where === 'log') expect(logs, p.sample.text).toContain(`msg="${p.expected}"`);
    else if (p.where === 'gen_ai.input.messages') expect(strings.some((s) => s.includes(p.expected)), p.sample.text).toBe(true);
    else expect(strings, `${p.where}: ${p.sample.text}`).toContain(p.expected);
  }
}

/** What the run's `privacy` block must count: each placed sample once, by its kind. */
function expectedCounts(places: readonly Placement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of places) counts[p.sample.kind] = (counts[p.sample.kind] ?? 0) + 1;
  return counts;
}

describe('privacy: the corpus over every transport', () => {
  it(
    'is found nowhere on disk, in /metrics or on stderr, and each replacement is where its value was',
    async () => {
      expect(SAMPLES.length).toBeGreaterThanOrEqual(60);
      const { runsDir, process } = await startDaemon({ runs: { artifacts: { compress_over_bytes: 1 } } });
      const http = `http://${process.listening.http}`;
      const sent = new Map<string, Placement[]>();
      for (const [round, kind] of KINDS.entries()) {
        const places = placements(SAMPLES, round);
        const base = kind === 'grpc' ? `http://${process.listening.otlp_grpc}` : `http://${process.listening.otlp_http}`;
        sent.set(await sendPlacements(kind, base, places), places);
      }
      // A text upload holding the whole corpus, and a binary one (stored as sent).
      const traceId = [...sent.keys()][0]!;
      const uploadText = SAMPLES.map((s) => (s.key ? `${s.key}="${s.text}"` : `value: ${s.text}`)).join('\n');
      const uploaded = await fetch(`${http}/api/v1/traces/${traceId}/artifacts/corpus.txt`, { method: 'PUT', body: uploadText, headers: { 'content-type': 'application/octet-stream' } });
      expect(uploaded.status).toBe(201);
      const binary = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff]), Buffer.from(' binary-owner@example.net')]);
      expect((await fetch(`${http}/api/v1/traces/${traceId}/artifacts/image.png`, { method: 'PUT', body: binary, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
      // A span refused for its ids: its name reaches a log line, scrubbed.
      const refused = await fetch(`http://${process.listening.otlp_http}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abc', spanId: 'def', name: `refused ${SAMPLES[0]!.text}` }] }] }] }),
      });
      expect(refused.status).toBe(200);

      const runs = await waitForFinalRuns(runsDir, KINDS.length, 30_000);
      for (const run of runs) {
        const places = sent.get(String(run.metadata.trace_id))!;
        await expectReplacementsInPlace(run, places);
        expect(run.metadata.privacy).toEqual(expectedCounts(places));
      }
      const uploadRun = runs.find((r) => r.metadata.trace_id === traceId)!;
      const storedUpload = await readFile(join(uploadRun.dir, 'artifacts', 'corpus.txt'), 'utf8');
      expect(storedUpload).toBe(SAMPLES.map((s) => (s.key ? `${s.key}="[REDACTED:secret]"` : `value: ${replacedOf(s)}`)).join('\n'));
      expect(await readFile(join(uploadRun.dir, 'artifacts', 'image.png'))).toEqual(binary);

      const metrics = await (await fetch(`${http}/metrics`)).text();
      expect(scanBytes(Buffer.from(metrics), '/metrics', NEEDLES)).toEqual([]);
      expect(sumOf(metrics, 'paracle_redactions_total', { kind: 'email' })).toBeGreaterThanOrEqual(3 * 4);
      expect(sumOf(metrics, 'paracle_redactions_total', { kind: 'openai' })).toBeGreaterThanOrEqual(3 * 3);
      expect(await scanTree(runsDir, NEEDLES)).toEqual([]);

      // Compressed and archived copies are clean too.
      expect((await fetch(`${http}/api/v1/maintenance/compression`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${http}/api/v1/maintenance/retention?older_than=1s`, { method: 'POST' })).status).toBe(200);
      await stop(process);
      expect(await scanTree(runsDir, NEEDLES)).toEqual([]);
      expect(scanBytes(Buffer.from(process.stderr()), 'stderr', NEEDLES)).toEqual([]);
      expect(process.stderr()).toContain('[REDACTED:');
    },
    120_000,
  );

  it('leaves the false-positive corpus exactly as it was sent', async () => {
    expect(NEGATIVES.length).toBeGreaterThanOrEqual(40);
    const { runsDir, process } = await startDaemon({});
    const attributes = Object.fromEntries(NEGATIVES.map((n) => [n.key, n.value]));
    const { startTracing } = await import('../helpers/otel.js');
    const tracing = startTracing('http-proto', `http://${process.listening.otlp_http}`, { batch: false });
    tracing.tracer.startSpan('invoke_agent negatives', { attributes }).end();
    await tracing.shutdown();
    const [run] = await waitForFinalRuns(runsDir, 1);
    expect(run!.metadata.privacy).toEqual({});
    const spans = (JSON.parse(await readFile(join(run!.dir, 'trace.json'), 'utf8')) as { resourceSpans: { scopeSpans: { spans: { attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[] })
      .resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const stored = Object.fromEntries(spans.attributes.map((kv) => [kv.key, Object.values(kv.value)[0]]));
    for (const n of NEGATIVES) expect(String(stored[n.key]), n.key).toBe(String(n.value));
    await stop(process);
  });
});

describe('privacy: the write-ahead log and its replay', () => {
  it('holds only scrubbed data, and a daemon killed after the ack stores it scrubbed on restart', async () => {
    const { runsDir, process } = await startDaemon({ assembly: { grace_ms: 600_000 } });
    const places = placements(SAMPLES, 0);
    await sendPlacements('http-proto', `http://${process.listening.otlp_http}`, places);
    process.child.kill('SIGKILL');
    await process.exited;
    const wal = await scanTree(join(runsDir, '.wal'), ['[REDACTED:', ...NEEDLES]);
    expect(wal.map((hit) => hit.needle)).toEqual(wal.length > 0 ? wal.map(() => '[REDACTED:') : []);
    expect(wal.length).toBeGreaterThan(0);

    const restarted = await startDaemon({ assembly: { grace_ms: 100 } });
    const [run] = await waitForFinalRuns(restarted.runsDir, 1, 30_000);
    await expectReplacementsInPlace(run!, places);
    expect(run!.metadata.privacy).toEqual(expectedCounts(places));
    await stop(restarted.process);
    expect(await scanTree(runsDir, NEEDLES)).toEqual([]);
  }, 90_000);
});

describe('privacy: a write-ahead log written by an older version', () => {
  it('is scrubbed when replayed: the stored run holds replacements, and the old segment goes once it is stored', async () => {
    const runsDir = join(dir, 'runs');
    const samples = SAMPLES.filter((s) => s.key === undefined).slice(0, 12);
    const attributes = Object.fromEntries(samples.map((s, i) => [`note.${i}`, `see ${s.text}`]));
    const spans = makeSdkSpans('invoke_agent legacy', 1, { 'paracle.agent.id': 'legacy', ...attributes });
    // What a version without the redaction stage appended: the request bytes as they came.
    const { wal } = await WriteAheadLog.open({ dir: join(runsDir, '.wal'), sync: 'always', segmentBytes: 1 << 20 }, silentLogger());
    await wal.append(RecordType.TRACES_PROTOBUF, encodeSpans(spans, 'protobuf'), [spans[0]!.spanContext().traceId]);
    await wal.close();
    expect((await scanTree(join(runsDir, '.wal'), [needleOf(samples[0]!)])).length).toBe(1);

    const { process } = await startDaemon({ assembly: { grace_ms: 100 } });
    const [run] = await waitForFinalRuns(runsDir, 1, 30_000);
    const strings = traceStrings(JSON.parse(await readFile(join(run!.dir, 'trace.json'), 'utf8')));
    for (const s of samples) expect(strings).toContain(`see ${replacedOf(s)}`);
    expect(Object.values(run!.metadata.privacy as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(samples.length);
    await stop(process);
    expect(await scanTree(runsDir, samples.map(needleOf))).toEqual([]);
  }, 60_000);
});

describe('privacy: settings', () => {
  it('replacement hmac: serve refuses to start without the key, and writes stable tokens with it', async () => {
    const file = join(dir, 'hmac.yaml');
    await writeFile(file, JSON.stringify({ paracle_config: { privacy: { replacement: 'hmac', hmac_key_env: 'TEST_PARACLE_HMAC' } } }));
    const refused = await runCli(['serve', '--config', file, '--runs-dir', join(dir, 'refused'), ...PORT0], { TEST_PARACLE_HMAC: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TEST_PARACLE_HMAC');

    const { runsDir, process } = await startDaemon({ privacy: { replacement: 'hmac', hmac_key_env: 'TEST_PARACLE_HMAC' } }, { TEST_PARACLE_HMAC: 'k3y' });
    const places = placements(SAMPLES.filter((s) => s.kind === 'email'), 1);
    await sendPlacements('http-json', `http://${process.listening.otlp_http}`, places);
    const [run] = await waitForFinalRuns(runsDir, 1);
    const text = await readFile(join(run!.dir, 'trace.json'), 'utf8');
    expect(text).toMatch(/\[email:[0-9a-f]{12}\]/);
    expect(await scanTree(runsDir, places.map((p) => needleOf(p.sample)))).toEqual([]);
    await stop(process);
  }, 60_000);

  it('a catastrophic-backtracking custom pattern does not stall ingest', async () => {
    const { process } = await startDaemon({ privacy: { custom_patterns: [{ name: 'redos', regex: '(a+)+$' }] } });
    const attack = `${'a'.repeat(20_000)}!`;
    const body = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: '10f067aa0ba902b7', name: 'invoke_agent x', startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: [{ key: 'input', value: { stringValue: attack } }] }] }] }],
    });
    const started = performance.now();
    const res = await fetch(`http://${process.listening.otlp_http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    // A backtracking engine would not answer this side of the universe's end; RE2 answers in milliseconds.
    expect(performance.now() - started).toBeLessThan(1000);
    await stop(process);
  });
});
