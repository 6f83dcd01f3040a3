/**
 * What a client must not be able to do to the store (issue 13): write through a symbolic
 * link, fill the disk with uploads for traces that never come, get an EPIPE instead of a
 * 413, lose a record the daemon cannot replay; and what the store must be: owner-only
 * files, gauges that count what is on disk from the first scrape.
 */
import { mkdir, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../../src/wal/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { writeFixtureStore } from '../helpers/fixture-store.js';
import { scrape, sumOf } from '../helpers/metrics.js';
import { CONTENT_TYPES, encodeSpans, makeSdkSpans } from '../helpers/otlp-payloads.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

let d: TestDaemon | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await d?.stop();
  d = undefined;
  for (const dir of dirs.splice(0)) await removeTempDir(dir);
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  dirs.push(dir);
  return dir;
}

async function storedRun(daemon: TestDaemon, name = 'invoke_agent hardened') {
  const spans = makeSdkSpans(name, 1, { 'paracle.agent.id': 'hardened' });
  const res = await fetch(`${daemon.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES.protobuf }, body: encodeSpans(spans, 'protobuf') });
  expect(res.status).toBe(200);
  const traceId = spans[0]!.spanContext().traceId;
  const runs = await waitForRuns(daemon.runsDir, (all) => all.some((r) => r.metadata.trace_id === traceId && isFinal(r)));
  return { traceId, run: runs.find((r) => r.metadata.trace_id === traceId)! };
}

const put = (daemon: TestDaemon, traceId: string, name: string, body: string) =>
  fetch(`${daemon.httpUrl}/api/v1/traces/${traceId}/artifacts/${name}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return [dir, ...entries.map((e) => join(e.parentPath, e.name))];
}

describe('hardening', () => {
  it('follows no symbolic link in a run\'s artifacts/ or in .uploads/', async () => {
    d = await startTestDaemon();
    const outside = await tempDir('paracle-outside-');
    const { traceId, run } = await storedRun(d);
    // Indexed: the upload goes to the run's artifacts/, not to staging.
    await expect.poll(() => fetch(`${d!.httpUrl}/api/v1/runs/${run.runId}`).then((r) => r.status), { timeout: 10_000 }).toBe(200);
    await rm(join(run.dir, 'artifacts'), { recursive: true, force: true });
    await symlink(outside, join(run.dir, 'artifacts'));
    expect((await put(d, traceId, 'notes.txt', 'escaped?')).status).toBe(400);
    const staged = 'cd'.repeat(16);
    await mkdir(join(d.runsDir, '.uploads'), { recursive: true });
    await symlink(outside, join(d.runsDir, '.uploads', staged));
    expect((await put(d, staged, 'notes.txt', 'escaped?')).status).toBe(400);
    expect(await readdir(outside)).toEqual([]);
  });

  it('bounds uploads waiting for their run (ingest.max_staged_upload_bytes) with a 413', async () => {
    d = await startTestDaemon({ ingest: { max_staged_upload_bytes: 1000 } });
    const waiting = 'ef'.repeat(16);
    expect((await put(d, waiting, 'a.txt', 'x'.repeat(800))).status).toBe(201);
    const refused = await put(d, waiting, 'b.txt', 'y'.repeat(800));
    expect(refused.status).toBe(413);
    expect(await readdir(join(d.runsDir, '.uploads', waiting))).toEqual(['a.txt']);
  });

  it('deletes staged uploads whose run never came after assembly.orphan_timeout_ms', async () => {
    d = await startTestDaemon({ assembly: { orphan_timeout_ms: 300 } });
    const never = '12'.repeat(16);
    expect((await put(d, never, 'a.txt', 'orphan')).status).toBe(201);
    await expect.poll(() => readdir(join(d!.runsDir, '.uploads')).then((names) => names.includes(never)), { timeout: 10_000 }).toBe(false);
  });

  it('answers a body declared past max_body_bytes with a 413 the client reads (not EPIPE)', async () => {
    d = await startTestDaemon({ ingest: { max_body_bytes: 1024 * 1024 } });
    const res = await fetch(`${d.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': CONTENT_TYPES.protobuf }, body: Buffer.alloc(3 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('creates files 0600 and folders 0700, index and write-ahead log included', async () => {
    d = await startTestDaemon();
    await storedRun(d);
    for (const path of await walk(d.runsDir)) {
      const { mode } = await stat(path);
      expect(`${path}: ${(mode & 0o777).toString(8)}`).toMatch(/: [67]00$/);
    }
  });

  it('reports the store gauges from the index at the first scrape of a fresh daemon', async () => {
    const runsDir = await tempDir('paracle-gauges-');
    await writeFixtureStore(runsDir, { count: 5 });
    d = await startTestDaemon({}, { runsDir });
    dirs.pop(); // stop() removes it
    expect(sumOf(await scrape(d.httpUrl), 'paracle_store_runs')).toBe(5);
  });

  it('moves a write-ahead log record it cannot replay to .wal/quarantine/, never deleting it', async () => {
    const runsDir = await tempDir('paracle-quarantine-');
    const { wal } = await WriteAheadLog.open({ dir: join(runsDir, '.wal'), sync: 'always', segmentBytes: 1 << 20 }, silentLogger());
    const garbage = Buffer.from('this is not an OTLP request');
    await wal.append(2, garbage, []);
    await wal.close();
    d = await startTestDaemon({}, { runsDir });
    dirs.pop();
    const folder = join(runsDir, '.wal', 'quarantine');
    const [file] = await readdir(folder);
    expect(file).toMatch(/\.traces\.json$/);
    expect(await readFile(join(folder, file!))).toEqual(garbage);
  });
});
