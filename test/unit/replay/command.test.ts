import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCommand, type CommandSpec } from '../../../src/replay/command.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { groupAlive, isAlive } from '../../helpers/processes.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('paracle-command-');
});
afterEach(async () => removeTempDir(dir));

const node = (code: string, ...args: string[]): string[] => [process.execPath, '-e', code, ...args];
const spec = (argv: string[], extra: Partial<CommandSpec> = {}): CommandSpec => ({
  argv,
  stdin: new Uint8Array(),
  env: process.env,
  timeoutMs: 20_000,
  killGraceMs: 300,
  ...extra,
});

// A command that starts a grandchild in its own process group, writes both pids, and then
// waits forever, ignoring SIGTERM (so only SIGKILL ends it).
const STUBBORN = `
  const { spawn } = require('node:child_process');
  const grandchild = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  require('node:fs').writeFileSync(process.argv[1], JSON.stringify([process.pid, grandchild.pid]));
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 1000);
`;

describe('startCommand', () => {
  it('writes the stdin bytes exactly and reports the exit code', async () => {
    const out = join(dir, 'stdin.bin');
    const bytes = randomBytes(3 * 1024 * 1024);
    const command = startCommand(spec(node("process.stdin.pipe(require('node:fs').createWriteStream(process.argv[1]))", out), { stdin: bytes }));
    expect(await command.ended).toEqual({ kind: 'exited', code: 0, stderr: '' });
    expect((await readFile(out)).equals(bytes)).toBe(true);
  });

  it('reports a non-zero exit with the last line written to stderr', async () => {
    const command = startCommand(spec(node("process.stderr.write('starting\\n  model weights missing  \\n\\n'); process.exit(3)")));
    expect(await command.ended).toEqual({ kind: 'exited', code: 3, stderr: 'model weights missing' });
  });

  it('kills the whole process group at the timeout, SIGKILL after the grace when SIGTERM is ignored', async () => {
    const pids = join(dir, 'pids.json');
    // Long enough for a loaded machine to start both processes before the timeout.
    const command = startCommand(spec(node(STUBBORN, pids), { timeoutMs: 6000 }));
    await expect.poll(() => readFile(pids, 'utf8').then(() => true, () => false), { timeout: 6000 }).toBe(true);
    const end = await command.ended;
    expect(end).toEqual({ kind: 'timed_out', afterMs: 6000, stderr: '' });
    const [pid, grandchild] = JSON.parse(await readFile(pids, 'utf8')) as [number, number];
    expect(pid).toBe(command.pid);
    await expect.poll(() => isAlive(grandchild), { timeout: 5000 }).toBe(false);
    expect(isAlive(pid)).toBe(false);
    expect(groupAlive(pid)).toBe(false);
  });

  it('kills what the command left running in its group when it exits', async () => {
    const pids = join(dir, 'pids.json');
    const leaver = `
      const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(process.argv[1], JSON.stringify([process.pid, child.pid]));
      child.unref();
    `;
    const command = startCommand(spec(node(leaver, pids)));
    expect(await command.ended).toMatchObject({ kind: 'exited', code: 0 });
    const [, grandchild] = JSON.parse(await readFile(pids, 'utf8')) as [number, number];
    await expect.poll(() => isAlive(grandchild), { timeout: 5000 }).toBe(false);
  });

  it('ends a stopped command as stopped, with its group', async () => {
    const pids = join(dir, 'pids.json');
    const command = startCommand(spec(node(STUBBORN, pids)));
    await expect.poll(() => readFile(pids, 'utf8').then(() => true, () => false), { timeout: 10_000 }).toBe(true);
    command.stop('the daemon stopped');
    expect(await command.ended).toEqual({ kind: 'stopped', reason: 'the daemon stopped', stderr: '' });
    expect(groupAlive(command.pid!)).toBe(false);
  });

  it('reports a program that does not exist, or an empty command, as not started', async () => {
    expect(await startCommand(spec(['/nonexistent/agent', '--x'])).ended).toEqual({ kind: 'not_started', reason: '"/nonexistent/agent" was not found' });
    expect(await startCommand(spec([])).ended).toEqual({ kind: 'not_started', reason: 'the command is empty' });
  });

  it('reports a death by signal', async () => {
    const command = startCommand(spec(node("process.kill(process.pid, 'SIGSEGV')")));
    expect(await command.ended).toMatchObject({ kind: 'signaled', signal: 'SIGSEGV' });
  });

  it('passes arguments to the program as they are, never through a shell', async () => {
    const out = join(dir, 'args.json');
    const args = ['$(touch pwned)', '`id`', 'a; rm -rf /', "it's \"quoted\"\nline 2", '*'];
    const command = startCommand(spec(node("require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))", out, ...args)));
    expect(await command.ended).toMatchObject({ kind: 'exited', code: 0 });
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(args);
  });
});
