/**
 * Encryption at rest (INTERFACE.md §8) through the daemon as users run it: ONE query suite
 * answered by a plaintext store and by the same store encrypted must give the same answers;
 * with encryption on, real OTel exporters' marker strings are found nowhere in the runs dir
 * (WAL, index, run files, uploaded and compressed artifacts, opened as gzip/tar where they
 * are); a damaged file is a
 * clear error naming it while the daemon stays healthy; start-up refuses without the key,
 * with another key, and with a store that does not match the setting.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, KeyStore, keysDirOf, parseMasterKey } from '../../src/crypt/index.js';
import { compressRunFile, openStoreEncryption, openStoredRun } from '../../src/store/index.js';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { useStoreCodec } from '../../src/store/codec.js';
import { scanTree } from '../helpers/byte-scan.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { writeFixtureStore, type FixtureRun } from '../helpers/fixture-store.js';
import { inSpan, startLogging, startTracing } from '../helpers/otel.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const COUNT = 24;
type Mode = 'plaintext' | 'encrypted';

interface Store {
  dir: string;
  runsDir: string;
  keyFile: string;
  runs: FixtureRun[];
  daemon: TestDaemon | null;
}

const stores = new Map<Mode, Store>();
const answers = new Map<Mode, Record<string, unknown>>();

function encryptionConfig(store: Store, enabled: boolean): Record<string, unknown> {
  return { privacy: { encryption: { enabled, key_file: store.keyFile } } };
}

/** The same fixture store written plaintext or encrypted (through the store's own seam). */
async function makeStore(mode: Mode): Promise<Store> {
  const dir = await makeTempDir(`paracle-enc-${mode}-`);
  const keyFile = join(dir, 'master.key');
  await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const runsDir = join(dir, 'runs');
  if (mode === 'encrypted') openStoreEncryption(runsDir, parseMasterKey(await readFile(keyFile, 'utf8'), keyFile));
  const runs = await writeFixtureStore(runsDir, { count: COUNT, nowMs: NOW });
  useStoreCodec(runsDir, null);
  return { dir, runsDir, keyFile, runs, daemon: null };
}

async function get(d: TestDaemon, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${d.httpUrl}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The query suite: every read route, filters and text search included, as status + body. */
async function querySuite(d: TestDaemon, runs: readonly FixtureRun[]): Promise<Record<string, unknown>> {
  const paths = [
    '/api/v1/runs?limit=100',
    '/api/v1/runs?status=failed&limit=100',
    '/api/v1/runs?agent=coder&limit=5',
    '/api/v1/runs?kind=workflow',
    '/api/v1/runs?model=gpt-4&limit=100',
    `/api/v1/runs?text=${encodeURIComponent(runs[3]!.marker)}`,
    '/api/v1/runs?text=no-such-words-anywhere',
    '/api/v1/stats',
    '/api/v1/stats?by=agent',
    '/api/v1/stats?by=model',
    '/api/v1/runs/01AAAAAAAAAAAAAAAAAAAAAAAA',
  ];
  for (const run of runs) {
    const base = `/api/v1/runs/${run.runId}`;
    paths.push(base, `${base}/input`, `${base}/output`, `${base}/trace`, `${base}/logs`, `${base}/artifacts`);
    for (const artifact of run.artifacts) paths.push(`${base}/artifacts/${artifact}`);
  }
  // Run ids carry random bits: each store's are named by their fixture's place.
  const names = runs.map((run, i) => [run.runId, `run#${i}`] as const);
  const normal = (text: string): string => names.reduce((t, [id, name]) => t.replaceAll(id, name), text);
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const answer = await get(d, path);
    out[normal(path)] = { status: answer.status, body: normal(answer.body) };
  }
  return out;
}

const modes: Mode[] = ['plaintext', 'encrypted'];

beforeAll(async () => {
  for (const mode of modes) stores.set(mode, await makeStore(mode));
});
afterAll(async () => {
  for (const store of stores.values()) {
    await store.daemon?.daemon.shutdown();
    await removeTempDir(store.dir);
  }
});

describe.each(modes)('the query suite against a %s store', (mode) => {
  it('answers every read route', async () => {
    const store = stores.get(mode)!;
    store.daemon = await startTestDaemon(encryptionConfig(store, mode === 'encrypted'), { runsDir: store.runsDir });
    const answered = await querySuite(store.daemon, store.runs);
    answers.set(mode, answered);
    const list = answered['/api/v1/runs?limit=100'] as { status: number; body: string };
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { runs: unknown[] }).runs).toHaveLength(COUNT);
    const search = answered[`/api/v1/runs?text=${encodeURIComponent(store.runs[3]!.marker)}`] as { body: string };
    expect((JSON.parse(search.body) as { runs: { run_id: string }[] }).runs.map((r) => r.run_id)).toEqual(['run#3']);
  });
});

describe('encryption at rest', () => {
  it('gives exactly the answers of the plaintext store', () => {
    expect(answers.get('encrypted')).toEqual(answers.get('plaintext'));
  });

  it('keeps real exporters\' markers and every fixture run\'s content out of every byte of the runs dir', async () => {
    const store = stores.get('encrypted')!;
    const d = store.daemon!;
    const marker = `enc-marker-${randomBytes(6).toString('hex')}`;
    const tracing = startTracing('http-proto', d.otlpUrl, { serviceName: 'secret-service' });
    const logging = startLogging('grpc', d.otlpGrpcUrl);
    const traceId = await inSpan(tracing.tracer, 'invoke_agent marker-agent', {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'marker-agent',
      'paracle.input': JSON.stringify({ task: `${marker}-input` }),
      'paracle.output': JSON.stringify({ answer: `${marker}-output` }),
    }, (span) => {
      logging.logger.emit({ body: `${marker}-log`, context: undefined });
      return span.spanContext().traceId;
    });
    await tracing.flush();
    await logging.flush();
    await tracing.shutdown();
    await logging.shutdown();
    // Found through the (encrypted) index by its input's text, then read back whole.
    let found: { runs: { run_id: string; status: string }[] } = { runs: [] };
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      found = JSON.parse((await get(d, `/api/v1/runs?text=${marker}-input`)).body) as typeof found;
      if (found.runs[0]?.status === 'completed') break;
    }
    expect(found.runs).toHaveLength(1);
    expect((await get(d, `/api/v1/runs/${found.runs[0]!.run_id}/output`)).body).toContain(`${marker}-output`);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // An uploaded artifact (streamed, then placed in its run): sealed too, read back whole.
    const notes = `${marker}-upload\n`.repeat(2000);
    const upload = await fetch(`${d.httpUrl}/api/v1/traces/${traceId}/artifacts/notes.txt`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: notes });
    expect(upload.status).toBe(201);
    const runId = found.runs[0]!.run_id;
    expect((await get(d, `/api/v1/runs/${runId}/artifacts/notes.txt`)).body).toBe(notes);
    // Compressed by the maintenance step (gzip first, then sealed): still no marker, read back whole.
    const runDir = join(store.runsDir, 'agents', runId);
    const compressed = await compressRunFile(runDir, 'artifacts/notes.txt');
    expect(compressed?.stored_bytes).toBeLessThan(notes.length / 10);
    expect((await get(d, `/api/v1/runs/${runId}/artifacts/notes.txt`)).body).toBe(notes);
    const needles = [marker, ...store.runs.map((r) => r.marker), 'fix the bug', 'invoke_agent'];
    const hits = await scanTree(store.runsDir, needles);
    expect(hits).toEqual([]);
    // The scan saw the index, the key store and run files (not an empty tree).
    const top = await readdir(store.runsDir);
    expect(top).toEqual(expect.arrayContaining(['.index', '.keys', 'agents', 'workflows']));
  });

  it('answers a flipped byte or a truncated file with an error naming it, and stays healthy', async () => {
    const store = stores.get('encrypted')!;
    const d = store.daemon!;
    const [flipped, cut] = store.runs.filter((r) => r.kind === 'agent');
    const flippedFile = join(store.runsDir, 'agents', flipped!.runId, 'output.json');
    const bytes = await readFile(flippedFile);
    bytes[bytes.length - 20]! ^= 0x40;
    await writeFile(flippedFile, bytes);
    const cutFile = join(store.runsDir, 'agents', cut!.runId, 'input.json');
    await writeFile(cutFile, (await readFile(cutFile)).subarray(0, 50));
    for (const [run, file, route] of [[flipped!, flippedFile, 'output'], [cut!, cutFile, 'input']] as const) {
      const answer = await get(d, `/api/v1/runs/${run.runId}/${route}`);
      // A 500's details stay in the daemon's log (respond.ts); the store's error names the file.
      expect(answer.status).toBe(500);
      await expect(buffer(await openStoredRunFile(store, run.runId, route))).rejects.toThrow(`${file} cannot be read`);
    }
    expect((await get(d, '/healthz')).status).toBe(200);
    expect((await get(d, `/api/v1/runs/${store.runs[5]!.runId}`)).status).toBe(200);
  });
});

describe('crypto-shredding (DELETE /api/v1/runs/{run_id}?shred=true)', () => {
  it('destroys the run\'s data key and files: a copy taken before is unreadable, the rest unchanged', async () => {
    const store = stores.get('encrypted')!;
    const d = store.daemon!;
    const run = store.runs.find((r) => r.kind === 'agent' && r.artifacts.length > 0)!;
    const dir = join(store.runsDir, 'agents', run.runId);
    const copy = await readFile(join(dir, 'input.json'));
    expect((await fetch(`${d.httpUrl}/api/v1/runs/${run.runId}`, { method: 'DELETE' })).status).toBe(400);
    const res = await fetch(`${d.httpUrl}/api/v1/runs/${run.runId}?shred=true`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ run_id: run.runId, place: 'live', keys_destroyed: [run.runId] });
    expect((await get(d, `/api/v1/runs/${run.runId}`)).status).toBe(404);
    expect(JSON.parse((await get(d, `/api/v1/runs?text=${run.marker}`)).body)).toMatchObject({ runs: [] });
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    const master = parseMasterKey(await readFile(store.keyFile, 'utf8'), store.keyFile);
    const keys = new KeyStore(keysDirOf(store.runsDir), master);
    expect(keys.get(run.runId)).toBeNull();
    expect(() => decrypt(copy, (id) => keys.get(id) ?? raise(id), 'copy')).toThrow(/no key run/);
    // Past the two runs the damage test broke.
    const other = store.runs.filter((r) => r.kind === 'agent' && r.runId !== run.runId)[4]!;
    expect((await get(d, `/api/v1/runs/${other.runId}/input`)).status).toBe(200);
  });
});

/** Reads a run file through the store's seam (the daemon runs in this process: its key is in use). */
async function openStoredRunFile(store: Store, runId: string, key: 'input' | 'output'): Promise<Readable> {
  return (await openStoredRun(store.runsDir, runId)).open(`${key}.json`);
}

function raise(id: string): never {
  throw new Error(`no key run ${id}`);
}

describe('start-up refusals', () => {
  it('refuses with one sentence: no key, another key, a plaintext store with encryption on, an encrypted one with it off', async () => {
    const enc = stores.get('encrypted')!;
    const plain = stores.get('plaintext')!;
    await enc.daemon?.daemon.shutdown();
    enc.daemon = null;
    await plain.daemon?.daemon.shutdown();
    plain.daemon = null;
    const otherKey = join(enc.dir, 'other.key');
    await writeFile(otherKey, randomBytes(32).toString('base64'));
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ privacy: { encryption: { enabled: true, key_env: 'PARACLE_TEST_NO_SUCH_KEY' } } }, enc.runsDir, /no key is given: set PARACLE_TEST_NO_SUCH_KEY/],
      [{ privacy: { encryption: { enabled: true, key_file: otherKey } } }, enc.runsDir, /does not open this store/],
      [{ privacy: { encryption: { enabled: false } } }, enc.runsDir, /encrypted store .* `paracle keys decrypt-store`/],
      [encryptionConfig(plain, true), plain.runsDir, /plaintext store .* `paracle keys encrypt-store`/],
      [{ ...encryptionConfig(enc, true), ingest: { untraced_logs: 'file' } }, enc.runsDir, /untraced_logs: file .* cannot be used with privacy.encryption.enabled/],
    ];
    for (const [config, runsDir, sentence] of cases) {
      await expect(startTestDaemon(config, { runsDir })).rejects.toThrow(sentence);
    }
  });
});
