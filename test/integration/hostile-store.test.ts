/**
 * What the store keeps and shows after hostile or careless use (issue 13): a deleted run's
 * text leaves no trace in the index files; `artifacts_count` says what `artifacts/` holds
 * whatever order uploads and writes come in.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { deepKeyValueJson, spanJson, tracesRequestJson } from '../helpers/hostile-payloads.js';
import { CONTENT_TYPES, encodeLogs, encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { rawRequest } from '../helpers/raw-http.js';
import { isFinal, listRuns, waitForRuns, type StoredRun } from '../helpers/runs.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

async function postSpans(daemon: TestDaemon, spans: ReturnType<typeof makeSdkSpans>): Promise<void> {
  const res = await fetch(`${daemon.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES.protobuf }, body: encodeSpans(spans, 'protobuf') });
  expect(res.status).toBe(200);
}

/** The index's files (database, its write-ahead log and shared memory) that hold `needle`. */
async function indexFilesHolding(runsDir: string, needle: string): Promise<string[]> {
  const dir = join(runsDir, '.index');
  const files = (await readdir(dir)).filter((n) => n.startsWith('runs.sqlite'));
  expect(files).toContain('runs.sqlite');
  const holding: string[] = [];
  for (const name of files) if ((await readFile(join(dir, name)).catch(() => Buffer.alloc(0))).includes(Buffer.from(needle))) holding.push(name);
  return holding;
}

describe('the index after a run is deleted', () => {
  it('holds none of its text in runs.sqlite, runs.sqlite-wal or runs.sqlite-shm (secure_delete)', async () => {
    d = await startTestDaemon({ runs: { archive: false } });
    const marker = 'quokka-marker-5e1f0c';
    const spans = makeSdkSpans('invoke_agent forgettable', 1, { 'paracle.agent.id': 'forgettable', 'paracle.input': `please remember ${marker}` });
    await postSpans(d, spans);
    const traceId = spans[0]!.spanContext().traceId;
    const [run] = (await waitForRuns(d.runsDir, (runs) => runs.some((r) => r.metadata.trace_id === traceId && isFinal(r)))).filter((r) => r.metadata.trace_id === traceId);
    await expect.poll(() => fetch(`${d!.httpUrl}/api/v1/runs/${run!.runId}`).then((r) => r.status), { timeout: 10_000 }).toBe(200);
    // The scan can see the text while the run is indexed. Polled: the API may answer from the
    // run's first (running) version, and the final one with its input joins the index with
    // the next batch.
    await expect.poll(() => indexFilesHolding(d!.runsDir, marker), { timeout: 5_000 }).not.toEqual([]);

    await sleep(1_100);
    const report = await rawRequest(d.httpUrl, 'POST', '/api/v1/maintenance/retention?older_than=1s');
    expect(report.status, report.body).toBe(200);
    expect(JSON.parse(report.body)).toMatchObject({ actions: [expect.objectContaining({ action: 'delete' })] });
    expect(await listRuns(d.runsDir)).toEqual([]);
    expect((await fetch(`${d.httpUrl}/api/v1/runs/${run!.runId}`)).status).toBe(404);
    // The daemon still runs (its connection open: no close folds the log in); within moments
    // of the deletion no file of the index holds the text.
    await expect.poll(() => indexFilesHolding(d!.runsDir, marker), { timeout: 5_000 }).toEqual([]);
  }, 60_000);
});

/** Files under a run's artifacts/ (none when it does not exist). */
async function artifactFiles(run: StoredRun): Promise<string[]> {
  const entries = await readdir(join(run.dir, 'artifacts'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

const randomDelay = (maxMs: number): Promise<void> => sleep(Math.floor(Math.random() * maxMs));

describe('artifacts_count', () => {
  it('says what artifacts/ holds when uploads race the run\'s writes, round after round', async () => {
    d = await startTestDaemon({ assembly: { grace_ms: 100, running_after_ms: 0 } });
    const daemon = d;
    const upload = async (traceId: string, name: string): Promise<void> => {
      await randomDelay(300);
      const res = await fetch(`${daemon.httpUrl}/api/v1/traces/${traceId}/artifacts/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: `artifact ${name} of ${traceId}`,
      });
      expect(res.status, await res.text()).toBe(201);
    };
    /** One trace: its child first (the run is written as running), then its root, uploads in between and after. */
    const round = async (n: number): Promise<string> => {
      const [child, root] = makeSdkSpans(`invoke_agent racing-${n}`, 1, { 'paracle.agent.id': 'racing' });
      const traceId = root!.spanContext().traceId;
      const spans = postSpans(daemon, [child!]).then(() => randomDelay(300)).then(() => postSpans(daemon, [root!]));
      await Promise.all([spans, upload(traceId, 'early.txt'), upload(traceId, 'during.json'), randomDelay(400).then(() => upload(traceId, 'late.bin'))]);
      return traceId;
    };
    const traceIds: string[] = [];
    for (let batch = 0; batch < 6; batch++) traceIds.push(...(await Promise.all([0, 1, 2, 3, 4].map((i) => round(batch * 5 + i)))));

    const runs = await waitForRuns(d.runsDir, (all) => traceIds.every((id) => all.some((r) => r.metadata.trace_id === id && isFinal(r))), 30_000);
    for (const traceId of traceIds) {
      const run = runs.find((r) => r.metadata.trace_id === traceId)!;
      expect(await artifactFiles(run)).toHaveLength(3);
      // Metadata follows within moments of the last upload, and never stays behind.
      await expect
        .poll(async () => (await listRuns(daemon.runsDir)).find((r) => r.runId === run.runId)?.metadata.artifacts_count, { timeout: 10_000 })
        .toBe(3);
    }
  }, 120_000);
});

describe('a run stored under raised ingest.limits', () => {
  it('reads back whole (API, a rewrite by a late span, the archive), not cut to the default limits', async () => {
    d = await startTestDaemon({ ingest: { limits: { attribute_count_limit: 6_000, attribute_value_depth_limit: 100 } } });
    const traceId = 'ab'.repeat(16);
    // Past the defaults (4,096 attributes, values nested 64 deep), within the raised limits.
    const attributes = [deepKeyValueJson(90), ...Array.from({ length: 5_000 }, (_, i) => `{"key":"a${i}","value":{"stringValue":"v${i}"}}`)];
    const post = async (spans: string[]): Promise<void> => {
      const res = await fetch(`${d!.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tracesRequestJson(spans) });
      expect(res.status).toBe(200);
    };
    await post([spanJson({ traceId, index: 0, attributes })]);
    const done = (spans: number) => (runs: StoredRun[]) => runs.some((r) => r.metadata.trace_id === traceId && isFinal(r) && r.metadata.span_count === spans);
    const [run] = await waitForRuns(d.runsDir, done(1));
    expect(run!.metadata.truncated).toBeNull();
    // (Not toContain: a failure would print the whole span.)
    const whole = (text: string): void => {
      expect(text.includes('"a4999"'), 'the 5,000th attribute is there').toBe(true);
      expect(text.includes('bottom'), 'the value nested 90 deep is there whole').toBe(true);
    };
    const rootSpan = async (): Promise<string> => {
      const res = await fetch(`${d!.httpUrl}/api/v1/runs/${run!.runId}/spans/${'0'.repeat(15)}1`);
      expect(res.status).toBe(200);
      return res.text();
    };
    await expect.poll(() => fetch(`${d!.httpUrl}/api/v1/runs/${run!.runId}`).then((r) => r.status), { timeout: 10_000 }).toBe(200);
    whole(await rootSpan());

    // A late child: the run is rewritten from its stored trace merged with the new span.
    await post([spanJson({ traceId, index: 1, parent: 0 })]);
    const [rewritten] = (await waitForRuns(d.runsDir, done(2))).filter((r) => r.metadata.trace_id === traceId);
    whole(await readFile(join(rewritten!.dir, 'trace.json'), 'utf8'));
    await expect.poll(async () => (await rootSpan()).includes('"a4999"') && (await fetch(`${d!.httpUrl}/api/v1/runs/${run!.runId}/spans`).then((r) => r.json()) as { total: number }).total, { timeout: 10_000 }).toBe(2);
    whole(await rootSpan());

    // Archived: read back from the tar.gz.
    await sleep(1_100);
    const report = await rawRequest(d.httpUrl, 'POST', '/api/v1/maintenance/retention?older_than=1s');
    expect(JSON.parse(report.body)).toMatchObject({ actions: [expect.objectContaining({ action: 'archive' })] });
    expect(await listRuns(d.runsDir)).toEqual([]);
    whole(await rootSpan());
  }, 60_000);
});

describe('file modes', () => {
  it('are 0600 for every file and 0700 for every folder after traffic, uploads, maintenance and an archive', async () => {
    d = await startTestDaemon({ ingest: { untraced_logs: 'file' }, runs: { artifacts: { compress_over_bytes: 100 }, traces: { sample_after_runs: 1, sample_rate: 0 } } });
    const daemon = d;
    const traceIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const spans = makeSdkSpans('invoke_agent modes', 3, { 'paracle.agent.id': 'modes' });
      await postSpans(daemon, spans);
      traceIds.push(spans[0]!.spanContext().traceId);
    }
    const logs = await fetch(`${daemon.otlpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES.protobuf }, body: encodeLogs('protobuf') });
    expect(logs.status).toBe(200);
    await waitForRuns(daemon.runsDir, (runs) => traceIds.every((id) => runs.some((r) => r.metadata.trace_id === id && isFinal(r))));
    const put = async (traceId: string, name: string, body: string): Promise<void> => {
      const res = await fetch(`${daemon.httpUrl}/api/v1/traces/${traceId}/artifacts/${name}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
      expect(res.status).toBe(201);
    };
    await expect.poll(async () => (await fetch(`${daemon.httpUrl}/api/v1/runs?limit=10`).then((r) => r.json()) as { runs: unknown[] }).runs.length, { timeout: 10_000 }).toBe(3);
    await put(traceIds[0]!, 'nested/big.txt', 'x'.repeat(1_000)); // compressed below
    await put('ee'.repeat(16), 'waiting.txt', 'staged for a run that has not come');
    const compressed = await rawRequest(daemon.httpUrl, 'POST', '/api/v1/maintenance/compression');
    expect(JSON.parse(compressed.body)).toMatchObject({ actions: [expect.objectContaining({ action: 'compress' })] });
    const sampled = await rawRequest(daemon.httpUrl, 'POST', '/api/v1/maintenance/sampling');
    expect(JSON.parse(sampled.body)).toMatchObject({ actions: expect.arrayContaining([expect.objectContaining({ action: 'trim' })]) });
    await sleep(1_100);
    const archived = await rawRequest(daemon.httpUrl, 'POST', '/api/v1/maintenance/retention?older_than=1s');
    expect(JSON.parse(archived.body)).toMatchObject({ actions: expect.arrayContaining([expect.objectContaining({ action: 'archive' })]) });

    const entries = await readdir(daemon.runsDir, { recursive: true, withFileTypes: true });
    const paths = entries.map((e) => join(e.parentPath, e.name));
    // What the scan covers: each kind of thing the daemon makes.
    for (const part of ['.archive/agents/', '.index/runs.sqlite', '.wal', '.uploads/' + 'ee'.repeat(16) + '/waiting.txt', 'untraced/', '.audit/']) {
      expect(paths.some((p) => p.includes(part)), part).toBe(true);
    }
    const wrong: string[] = [];
    for (const path of [daemon.runsDir, ...paths]) {
      const info = await stat(path);
      const mode = info.mode & 0o777;
      if (mode !== (info.isDirectory() ? 0o700 : 0o600)) wrong.push(`${path}: ${mode.toString(8)}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
