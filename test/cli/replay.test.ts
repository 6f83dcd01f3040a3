import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, runCli, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { listRunIds, postSpans, REPLAY_FIXTURES, runSpans } from '../helpers/replay.js';

let daemon: TestDaemon;
let work: string;
let originals: string[];
let planted: string[];
let log: string;

const ORIGINALS = 20;
const PLANTED = new Set([2, 9, 19]);

/** Sends runs one after the other and returns their ids in that order, once all are final. */
async function send(runs: { input: unknown; options: Parameters<typeof runSpans>[1] }[]): Promise<string[]> {
  const traces: string[] = [];
  for (const [i, run] of runs.entries()) {
    const spans = runSpans(run.input, run.options);
    // Start times one millisecond apart keep the runs in sending order.
    for (const span of spans) {
      const shift = BigInt(i) * 1_000_000n;
      span.startTimeUnixNano = String(BigInt(span.startTimeUnixNano) + shift);
      span.endTimeUnixNano = String(BigInt(span.endTimeUnixNano) + shift);
    }
    await postSpans(daemon.otlpUrl, spans);
    traces.push(spans[0]!.traceId);
  }
  for (;;) {
    const listed = await listRunIds(daemon.httpUrl);
    const byTrace = new Map(listed.filter((r) => r.status === 'completed' || r.status === 'failed').map((r) => [r.trace_id, String(r.run_id)]));
    if (traces.every((t) => byTrace.has(t))) return traces.map((t) => byTrace.get(t)!);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  work = await makeTempDir('paracle-replay-cli-');
  log = join(work, 'processes.log');
  daemon = await startTestDaemon({
    replay: { agents: { regress: { command: [process.execPath, REPLAY_FIXTURES.otlpAgent, log] } } },
  });
  const runs = Array.from({ length: ORIGINALS }, (_, n) => ({
    input: PLANTED.has(n) ? { n, id: 'regress', fail: true } : { n, id: 'regress' },
    options: { id: 'regress', output: { n, model: 'fake-small' } },
  }));
  originals = await send(runs);
  planted = originals.filter((_, n) => PLANTED.has(n));
  // Runs a batch of agent "regress" must leave out: a replay, and another agent's run.
  await send([
    { input: { n: 99, id: 'regress', fail: true }, options: { id: 'regress', replayOf: originals[0] } },
    { input: { n: 98, id: 'other', fail: true }, options: { id: 'other' } },
  ]);
});
afterAll(async () => {
  await daemon?.stop();
  await removeTempDir(work);
});

const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(['runs', ...args, '--server', daemon.httpUrl]);

describe('paracle runs replay --agent (batch)', () => {
  it('replays every original, at most --concurrency at a time, and finds exactly the planted regressions: exit 4', async () => {
    const result = await cli('replay', '--agent', 'regress', '--concurrency', '4', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(4);
    const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(ORIGINALS);
    expect(Object.keys(rows[0]!)).toEqual([
      'original_run_id', 'replay_run_id', 'status_before', 'status_after', 'tokens_before', 'tokens_after',
      'cost_before', 'cost_after', 'duration_before', 'duration_after', 'output_changed',
    ]);
    expect(rows.map((r) => r.original_run_id).sort()).toEqual([...originals].sort());
    const regressions = rows.filter((r) => r.status_before === 'completed' && r.status_after === 'failed');
    expect(regressions.map((r) => r.original_run_id).sort()).toEqual([...planted].sort());
    for (const row of rows) {
      const regressed = planted.includes(String(row.original_run_id));
      expect(row).toMatchObject({ status_before: 'completed', status_after: regressed ? 'failed' : 'completed', tokens_before: 15, output_changed: regressed });
      expect(row.tokens_after).toBe(regressed ? 0 : 15);
      expect(typeof row.duration_after).toBe('number');
    }
    const replayed = await Promise.all(rows.map(async (r) => (await fetch(`${daemon.httpUrl}/api/v1/runs/${String(r.replay_run_id)}`)).json()));
    expect(replayed.map((r) => (r as { replay_of: unknown }).replay_of)).toEqual(rows.map((r) => r.original_run_id));

    // The processes of the batch: never more than 4 at once.
    const events = (await readFile(log, 'utf8')).trim().split('\n').map((line) => line.split(' ') as [string, string]);
    expect(events.filter(([, what]) => what === 'start')).toHaveLength(ORIGINALS);
    let running = 0;
    let most = 0;
    for (const [, what] of events) {
      running += what === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBeLessThanOrEqual(4);
  });

  it('prints a table with the regression marked and a summary line', async () => {
    const result = await cli('replay', '--agent', 'regress', '--limit', '2', '--concurrency', '2');
    expect(result.code).toBe(4);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s+ORIGINAL\s+REPLAY\s+STATUS\s+TOKENS\s+COST\s+DURATION\s+OUTPUT$/);
    const newest = originals[ORIGINALS - 1]!;
    expect(lines.find((l) => l.includes(newest))).toMatch(/^! .*completed -> failed\s+15 -> 0 .* changed$/);
    expect(lines.find((l) => l.includes(originals[ORIGINALS - 2]!))).toMatch(/^\s+\S+\s+\S+\s+completed\s+15\s.*same$/);
    expect(lines.at(-1)).toBe('2 replays: 1 completed, 1 failed (1 regression), 1 output changed');
  });
});

describe('paracle runs replay RUN_ID', () => {
  it('prints the new run id; --json the API answer', async () => {
    const plain = await cli('replay', originals[0]!);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}\n$/);
    const json = await cli('replay', originals[1]!, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'pending', run_id: expect.stringMatching(/^[0-7][0-9A-Z]{25}$/) as unknown });
  });

  it('with --wait, exits 4 and says why when the replay failed', async () => {
    const result = await cli('replay', planted[0]!, '--wait', '--timeout', '2m');
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^replay \S+ of \S+: failed: the replay command exited with code 1: boom: planted failure 2\n/);
    expect(result.stdout).toMatch(/^\*\s+status\s+completed\s+failed$/m);
  });

  it('compares a replay with its original given one id to runs diff', async () => {
    const { stdout } = await cli('replay', originals[3]!);
    const replayId = stdout.trim();
    const diff = JSON.parse((await cli('diff', replayId, '--json')).stdout) as Record<string, unknown>;
    // Not final yet is fine: the comparison names the original as run_a.
    expect(diff).toMatchObject({ run_a: originals[3], run_b: replayId });
    const notReplay = await cli('diff', originals[3]!);
    expect(notReplay.code).toBe(2);
    expect(notReplay.stderr).toBe(`paracle: run ${originals[3]} is not a replay (its replay_of is null): give two run ids.\n`);
  });

  it('refuses wrong usage with exit 2, and a run with no configured command with exit 1 naming the key', async () => {
    const usage = [
      ['replay'],
      ['replay', originals[0]!, '--agent', 'regress'],
      ['replay', '--status', 'completed'],
      ['replay', '--agent', 'a', '--workflow', 'b'],
      ['replay', '--agent', 'regress', '--concurrency', '0'],
      ['replay', originals[0]!, '--timeout', 'soon'],
    ];
    const codes = await Promise.all(usage.map(async (args) => [args.join(' '), (await cli(...args)).code]));
    expect(codes).toEqual(usage.map((args) => [args.join(' '), 2]));
    const local = await runCli(['runs', 'replay', originals[0]!, '--runs-dir', daemon.runsDir]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/carried out by a daemon/);
    const other = (await listRunIds(daemon.httpUrl)).find((r) => r.agent_id === 'other');
    const missing = await cli('replay', String(other?.run_id));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`paracle: no replay command is configured for agent "other": set paracle_config.replay.agents.other in the daemon's config.\n`);
  });
});
