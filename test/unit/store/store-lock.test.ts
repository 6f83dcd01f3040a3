import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_LOCK, registerServing, SERVING_FOLDER, takeChangeLock } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';

let dir: string;
const children: ChildProcess[] = [];

/** A process that stays alive until the test ends, to name as an owner. */
function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** A pid no process has (one that just exited). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function owner(path: string, pid: number, what: string): Promise<void> {
  await writeFile(path, JSON.stringify({ pid, host: hostname(), what }));
}

beforeEach(async () => {
  dir = await makeTempDir('paracle-lock-');
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await removeTempDir(dir);
});

describe('the serving file and the change lock', () => {
  it('refuses a store-changing command while a live daemon serves the runs dir, and clears a dead one', async () => {
    await mkdir(join(dir, SERVING_FOLDER));
    const live = liveProcess();
    await owner(join(dir, SERVING_FOLDER, `${hostname()}.${live}`), live, 'paracle serve');
    expect(() => takeChangeLock(dir, 'paracle keys rotate')).toThrow(`a daemon (pid ${live} on ${hostname()}) serves the runs dir ${dir}: stop it first`);
    expect(existsSync(join(dir, CHANGE_LOCK))).toBe(false);
    for (const child of children.splice(0)) child.kill('SIGKILL');
    const dead = await deadPid();
    await owner(join(dir, SERVING_FOLDER, `${hostname()}.${live}`), dead, 'paracle serve');
    const lock = takeChangeLock(dir, 'paracle keys rotate');
    expect(await readdir(join(dir, SERVING_FOLDER))).toEqual([]);
    lock.release();
    lock.release();
    expect(existsSync(join(dir, CHANGE_LOCK))).toBe(false);
  });

  it('keeps a daemon from starting while a command changes the store, and one command from another', async () => {
    const lock = takeChangeLock(dir, 'paracle keys encrypt-store');
    // The lock names this process, which is alive: a second taker is refused.
    expect(() => takeChangeLock(dir, 'paracle runs shred')).toThrow(/`paracle keys encrypt-store` \(pid \d+ on .*\) is changing the runs dir .* already/);
    expect(() => registerServing(dir)).toThrow(/`paracle keys encrypt-store` .* is changing the runs dir .*: start the daemon once it has ended/);
    expect(await readdir(join(dir, SERVING_FOLDER))).toEqual([]);
    lock.release();
    const serving = registerServing(dir);
    expect(await readdir(join(dir, SERVING_FOLDER))).toEqual([`${hostname()}.${process.pid}`]);
    serving.release();
    expect(await readdir(join(dir, SERVING_FOLDER))).toEqual([]);
  });

  it('takes over a change lock left by a command that died', async () => {
    await mkdir(join(dir, CHANGE_LOCK));
    await owner(join(dir, CHANGE_LOCK, 'owner'), await deadPid(), 'paracle keys rotate');
    const lock = takeChangeLock(dir, 'paracle keys check');
    lock.release();
  });
});
