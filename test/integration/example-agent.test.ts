import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, runCli, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { getRun, requestReplay, waitForFinal } from '../helpers/replay.js';
import { waitForFinalRuns } from '../helpers/runs.js';

// The README's walkthrough: `paracle serve` in examples/research-agent (its .parac/project.yaml
// names the replay command), the agent run by hand, replayed with another model, diffed.
const EXAMPLE = resolve('examples/research-agent');
let daemon: DaemonProcess;
let runsDir: string;
let server: string;
let originalId: string;

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--server', server]);
const input = async (runId: string): Promise<Buffer> => Buffer.from(await (await fetch(`${server}/api/v1/runs/${runId}/input`)).arrayBuffer());

beforeAll(async () => {
  runsDir = await makeTempDir('paracle-example-');
  const any = '127.0.0.1:0';
  daemon = await spawnDaemon(['--runs-dir', runsDir, '--http', any, '--otlp-http', any, '--otlp-grpc', any], {}, EXAMPLE);
  server = `http://${daemon.listening.http}`;
  // node agent.mjs < input.json
  const agent = spawn(process.execPath, ['agent.mjs'], {
    cwd: EXAMPLE,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://${daemon.listening.otlp_http}` },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  createReadStream(resolve(EXAMPLE, 'input.json')).pipe(agent.stdin);
  expect(await new Promise((res) => agent.once('close', res))).toBe(0);
  const [run] = await waitForFinalRuns(runsDir, 1, 30_000);
  originalId = run!.runId;
});
afterAll(async () => {
  daemon?.child.kill('SIGTERM');
  await daemon?.exited;
  await removeTempDir(runsDir);
});

describe('the example agent (README walkthrough)', () => {
  it('runs offline as one agent run with tool calls, an artifact and an estimated cost', async () => {
    expect(await getRun(server, originalId)).toMatchObject({
      agent_id: 'research-agent',
      provider: 'fake',
      model: 'fake-small',
      span_count: 4,
      artifacts_count: 1,
      cost_source: 'estimated',
      replay_of: null,
    });
  });

  it('replays with --model other: a new run linked to the original, same input, another model, and runs diff shows it', async () => {
    const replayed = await cli('replay', originalId, '--model', 'other', '--wait');
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    const newId = /^replay (\S+) of (\S+): completed$/m.exec(replayed.stdout)?.[1];
    expect(newId).toBeDefined();
    expect(replayed.stdout).toContain('~ model: "fake-small" -> "other"');
    const run = await getRun(server, newId!);
    expect(run).toMatchObject({ status: 'completed', replay_of: originalId, model: 'other', agent_id: 'research-agent', exit_code: 0 });
    expect((run!.cost_usd as number) > 0).toBe(true);
    expect((await input(newId!)).equals(await input(originalId))).toBe(true);

    const diff = await cli('diff', newId!);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(new RegExp(`^\\s+FIELD\\s+${originalId}\\s+${newId}$`, 'm'));
    expect(diff.stdout).toMatch(/^\*\s+model\s+fake-small\s+other$/m);
    expect(diff.stdout).toMatch(/^output: changed keys$/m);
    expect(diff.stdout).toMatch(/^tokens: {3}\d+ -> \d+ \(\+\d+\)$/m);
  });

  it('replays the same through the API', async () => {
    const response = await requestReplay(server, originalId, { model: 'other' });
    expect(response.status).toBe(202);
    const { run_id: newId } = (await response.json()) as { run_id: string };
    const run = await waitForFinal(server, newId);
    expect(run).toMatchObject({ status: 'completed', replay_of: originalId, model: 'other' });
    expect((await input(newId)).equals(await input(originalId))).toBe(true);
  });
});
