import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { groupAlive, isAlive } from '../helpers/processes.js';
import { getRun, listRunIds, postSpans, REPLAY_FIXTURES, requestReplay, runSpans, waitForFinal } from '../helpers/replay.js';

let daemon: TestDaemon;
let work: string;

const node = process.execPath;

beforeAll(async () => {
  work = await makeTempDir('paracle-replay-');
  daemon = await startTestDaemon({
    replay: {
      agents: {
        batchy: { command: [node, REPLAY_FIXTURES.otlpAgent] },
        echo: { command: [node, REPLAY_FIXTURES.echoAgent, join(work, 'stdin.bin')] },
        failer: { command: [node, '-e', "process.stderr.write('loading\\ncannot load model weights\\n'); process.exit(3)"] },
        hanger: { command: [node, REPLAY_FIXTURES.hang, join(work, 'pids.json')], timeout_s: 600 },
        ghost: { command: ['/nonexistent/paracle-agent'] },
      },
      workflows: { flow: { command: [node, REPLAY_FIXTURES.otlpAgent] } },
    },
  });
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDir(work);
});

/** Sends one finished run and returns its id once the daemon lists it as final. */
async function original(input: unknown, options: Parameters<typeof runSpans>[1] = {}): Promise<string> {
  const spans = runSpans(input, options);
  await postSpans(daemon.otlpUrl, spans);
  const traceId = spans[0]!.traceId;
  for (;;) {
    const run = (await listRunIds(daemon.httpUrl)).find((r) => r.trace_id === traceId);
    if (run && (run.status === 'completed' || run.status === 'failed')) return String(run.run_id);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function replay(runId: string, body?: unknown): Promise<string> {
  const response = await requestReplay(daemon.httpUrl, runId, body);
  expect(response.status).toBe(202);
  const answer = (await response.json()) as { run_id: string; status: string };
  expect(answer.status).toBe('pending');
  return answer.run_id;
}

const inputOf = async (runId: string): Promise<Buffer> =>
  Buffer.from(await (await fetch(`${daemon.httpUrl}/api/v1/runs/${runId}/input`)).arrayBuffer());

describe('POST /api/v1/runs/{run_id}/replay', () => {
  it('creates the run as pending at once, linked by replay_of, with the original input; then it runs its course', async () => {
    const id = await original({ n: 1 }, { id: 'batchy' });
    const newId = await replay(id, { model: 'other' });
    const pending = await getRun(daemon.httpUrl, newId);
    expect(pending).toMatchObject({ run_id: newId, status: 'pending', agent_id: 'batchy', replay_of: id, kind: 'agent' });
    expect(pending?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect((await inputOf(newId)).equals(await inputOf(id))).toBe(true);
    expect((await listRunIds(daemon.httpUrl, '&status=pending')).map((r) => r.run_id)).toContain(newId);

    const final = await waitForFinal(daemon.httpUrl, newId);
    expect(final).toMatchObject({ run_id: newId, status: 'completed', exit_code: 0, replay_of: id, agent_id: 'batchy', model: 'other', error: null });
    expect((await inputOf(newId)).equals(await inputOf(id))).toBe(true);
    const output: unknown = JSON.parse(await (await fetch(`${daemon.httpUrl}/api/v1/runs/${newId}/output`)).text());
    expect(output).toEqual({ n: 1, model: 'other' });
  });

  it('replays a workflow run through replay.workflows', async () => {
    const id = await original({ n: 2, kind: 'workflow', id: 'flow' }, { id: 'flow', kind: 'workflow' });
    const final = await waitForFinal(daemon.httpUrl, await replay(id));
    expect(final).toMatchObject({ kind: 'workflow', workflow_id: 'flow', status: 'completed', replay_of: id });
  });

  it('fails the run when the command exits non-zero, with the reason in error', async () => {
    const id = await original({ n: 3 }, { id: 'failer' });
    const final = await waitForFinal(daemon.httpUrl, await replay(id));
    expect(final).toMatchObject({
      status: 'failed',
      exit_code: 3,
      agent_id: 'failer',
      replay_of: id,
      error: 'the replay command exited with code 3: cannot load model weights',
    });
  });

  it('fails the run of a command that cannot start', async () => {
    const id = await original({ n: 4 }, { id: 'ghost' });
    const final = await waitForFinal(daemon.httpUrl, await replay(id));
    expect(final).toMatchObject({ status: 'failed', error: 'the replay command could not start: "/nonexistent/paracle-agent" was not found' });
  });

  it('kills the whole process group of a command past its timeout and fails the run', async () => {
    const id = await original({ n: 5 }, { id: 'hanger' });
    const newId = await replay(id, { timeout_s: 3 });
    const final = await waitForFinal(daemon.httpUrl, newId);
    expect(final).toMatchObject({ status: 'failed', replay_of: id, error: "the replay command timed out after 3 s; its process group was killed" });
    const [pid, child] = JSON.parse(await readFile(join(work, 'pids.json'), 'utf8')) as [number, number];
    await expect.poll(() => isAlive(child) || isAlive(pid), { timeout: 5000 }).toBe(false);
    expect(groupAlive(pid)).toBe(false);
  });

  it('answers 409 naming the missing config key, and creates no run', async () => {
    const agentRun = await original({ n: 6 }, { id: 'unconfigured' });
    const workflowRun = await original({ n: 7 }, { id: 'lonely.flow', kind: 'workflow' });
    const before = (await listRunIds(daemon.httpUrl)).length;
    for (const [id, key] of [
      [agentRun, 'paracle_config.replay.agents.unconfigured'],
      [workflowRun, 'paracle_config.replay.workflows["lonely.flow"]'],
    ] as const) {
      const response = await requestReplay(daemon.httpUrl, id);
      expect(response.status).toBe(409);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('conflict');
      expect(body.error.message).toContain(key);
    }
    expect((await listRunIds(daemon.httpUrl)).length).toBe(before);
  });

  it('answers 404 for an unknown run and 400 for a bad id or body', async () => {
    expect((await requestReplay(daemon.httpUrl, '01HN7X8K9M2PQRSTVVWXYZ3456')).status).toBe(404);
    expect((await requestReplay(daemon.httpUrl, 'not-a-run')).status).toBe(400);
    const id = await original({ n: 8 }, { id: 'batchy' });
    expect((await requestReplay(daemon.httpUrl, id, { model: 'a', command: ['sh', '-c', 'id'] })).status).toBe(400);
    expect((await requestReplay(daemon.httpUrl, id, { timeout_s: -1 })).status).toBe(400);
    const notJson = await fetch(`${daemon.httpUrl}/api/v1/runs/${id}/replay`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${daemon.httpUrl}/api/v1/runs/${id}/replay`)).status).toBe(405);
  });

  it('gives the command the stored input bytes exactly: shell syntax, newlines and 1 MB of text, executing nothing', async () => {
    const marker = join(work, 'pwned');
    const text = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker} && echo | sh`, "'quoted' \"double\" \\ back", 'line\nbreaks\r\n\ttabs', 'ünïcødé ✓ 😀'].join('\n');
    const input = { prompt: text, padding: 'x'.repeat(1024 * 1024), [`$(touch ${marker})`]: text };
    const id = await original(input, { id: 'echo' });
    const final = await waitForFinal(daemon.httpUrl, await replay(id));
    expect(final).toMatchObject({ status: 'completed', agent_id: 'echo', replay_of: id });
    const stored = await inputOf(id);
    expect(stored.length).toBeGreaterThan(1024 * 1024);
    expect((await readFile(join(work, 'stdin.bin'))).equals(stored)).toBe(true);
    expect((await inputOf(String(final.run_id))).equals(stored)).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('replays across the daemon lifecycle', () => {
  it('fails the runs of commands still running at shutdown, and kills their process groups', async () => {
    const dir = await makeTempDir('paracle-replay-stop-');
    const pids = join(dir, 'pids.json');
    const own = await startTestDaemon({ replay: { agents: { hanger: { command: [node, REPLAY_FIXTURES.hang, pids] } } } });
    try {
      const spans = runSpans({ n: 9 }, { id: 'hanger' });
      await postSpans(own.otlpUrl, spans);
      let originalId: string | undefined;
      await expect.poll(async () => (originalId = (await listRunIds(own.httpUrl)).find((r) => r.status === 'completed')?.run_id as string | undefined), { timeout: 15_000 }).toBeDefined();
      const response = await requestReplay(own.httpUrl, originalId!);
      const { run_id: newId } = (await response.json()) as { run_id: string };
      await expect.poll(() => existsSync(pids), { timeout: 15_000 }).toBe(true);
      await own.daemon.shutdown();
      const [pid] = JSON.parse(await readFile(pids, 'utf8')) as [number];
      expect(groupAlive(pid)).toBe(false);
      const metadata = await readFile(join(own.runsDir, 'agents', newId, 'metadata.yaml'), 'utf8');
      expect(metadata).toMatch(/^status: "failed"$/m);
      expect(metadata).toContain(`error: "the daemon stopped before the replay command ended; the command's process group was killed"`);
    } finally {
      await own.stop();
      await removeTempDir(dir);
    }
  });

  it('fails on start the replays a crashed daemon left pending', async () => {
    const { createReplayRun } = await import('../../src/store/replay-run.js');
    const { pendingRecord } = await import('../../src/replay/pending.js');
    const runsDir = await makeTempDir('paracle-replay-crash-');
    const traceId = randomBytes(16).toString('hex');
    const runId = '01KAAAAAAAAAAAAAAAAAAAAAAA';
    const original = { runId: '01KAAAAAAAAAAAAAAAAAAAAAAB', kind: 'agent' as const, subjectId: 'coder', name: 'Coder' };
    const { RunCatalog } = await import('../../src/store/index.js');
    const catalog = await RunCatalog.open(runsDir);
    try {
      await createReplayRun(runsDir, catalog, { traceId, runId, record: pendingRecord(original, traceId, Date.now() - 5000), input: Buffer.from('{"task": 1}\n') });
    } finally {
      catalog.close();
    }
    const restarted = await startTestDaemon({}, { runsDir });
    try {
      const final = await waitForFinal(restarted.httpUrl, runId);
      expect(final).toMatchObject({ status: 'failed', agent_id: 'coder', agent_name: 'Coder', replay_of: original.runId, error: 'the daemon restarted before the replay command ended' });
      expect(await (await fetch(`${restarted.httpUrl}/api/v1/runs/${runId}/input`)).json()).toEqual({ task: 1 });
    } finally {
      await restarted.stop();
    }
  });

  it('takes replay commands added to the config file without a restart', async () => {
    const dir = await makeTempDir('paracle-replay-reload-');
    const file = join(dir, 'paracle.yaml');
    await writeFile(file, 'paracle_config:\n  replay:\n    agents: {}\n');
    const any = '127.0.0.1:0';
    const proc = await spawnDaemon(['--config', file, '--runs-dir', join(dir, 'runs'), '--http', any, '--otlp-http', any, '--otlp-grpc', any]);
    const http = `http://${proc.listening.http}`;
    try {
      await postSpans(`http://${proc.listening.otlp_http}`, runSpans({ n: 10 }, { id: 'late' }));
      let id: string | undefined;
      await expect.poll(async () => (id = (await listRunIds(http)).find((r) => r.status === 'completed')?.run_id as string | undefined), { timeout: 15_000 }).toBeDefined();
      expect((await requestReplay(http, id!)).status).toBe(409);
      await writeFile(file, `paracle_config:\n  replay:\n    agents:\n      late: { command: [${JSON.stringify(node)}, ${JSON.stringify(REPLAY_FIXTURES.otlpAgent)}] }\n`);
      await expect.poll(() => proc.stderr().includes('config change applied'), { timeout: 15_000 }).toBe(true);
      expect(proc.stderr()).toMatch(/"restart_needed":\[\],"msg":"config change applied"/);
      const response = await requestReplay(http, id!);
      expect(response.status).toBe(202);
      const { run_id: newId } = (await response.json()) as { run_id: string };
      expect(await waitForFinal(http, newId)).toMatchObject({ status: 'completed', replay_of: id });
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await removeTempDir(dir);
    }
  });
});
