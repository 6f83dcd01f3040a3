import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { breakLockDirectory, DIR_MODE, errnoCode as errno, writeFileAtomic } from '../lib/index.js';

/** The lock directory under the runs dir; its `owner.json` says who holds it until when. */
export const LEASE_FOLDER = '.maintenance.lock';
const OWNER_FILE = 'owner.json';

interface Holder {
  owner: string;
  host: string;
  pid: number;
  expires_at_ms: number;
}

/**
 * A lock with a lease on one runs dir, so that of several daemons (or a daemon and a CLI)
 * sharing it only one runs maintenance jobs at a time. Taking it is `mkdir` (atomic on
 * every local and network file system); a holder that died leaves a lease that expires (at
 * once when it ran on this host), after which the lock is taken over by renaming it away
 * (only one taker's rename wins).
 */
export class MaintenanceLease {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly dir: string;

  constructor(
    runsDir: string,
    private readonly leaseMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.dir = join(runsDir, LEASE_FOLDER);
  }

  /** Takes the lock if it is free or its lease has expired; false when someone else holds it. */
  async acquire(): Promise<boolean> {
    if (await this.tryCreate()) return true;
    if (!(await this.isExpired())) return false;
    // Whoever creates the lock next holds it.
    await breakLockDirectory(this.dir);
    return this.tryCreate();
  }

  /** Extends the lease; false when the lock is no longer ours (it expired and was taken). */
  async renew(): Promise<boolean> {
    if ((await this.holder())?.owner !== this.owner) return false;
    await this.writeHolder();
    return true;
  }

  /** Gives the lock up, if it is still ours. */
  async release(): Promise<void> {
    if ((await this.holder())?.owner === this.owner) await rm(this.dir, { recursive: true, force: true });
  }

  private async tryCreate(): Promise<boolean> {
    try {
      await mkdir(this.dir, { mode: DIR_MODE });
    } catch (err) {
      if (errno(err) === 'EEXIST') return false;
      throw err;
    }
    await this.writeHolder();
    return true;
  }

  private async writeHolder(): Promise<void> {
    const holder: Holder = { owner: this.owner, host: hostname(), pid: process.pid, expires_at_ms: this.clock() + this.leaseMs };
    await writeFileAtomic(join(this.dir, OWNER_FILE), `${JSON.stringify(holder)}\n`);
  }

  private async holder(): Promise<Holder | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, OWNER_FILE), 'utf8')) as Holder;
    } catch (err) {
      if (errno(err) === 'ENOENT' || err instanceof SyntaxError) return null;
      throw err;
    }
  }

  private async isExpired(): Promise<boolean> {
    const holder = await this.holder();
    // A holder on this host that no longer runs (killed mid-job) need not be waited out.
    if (holder !== null) return holder.expires_at_ms < this.clock() || (holder.host === hostname() && !isRunning(holder.pid));
    // Created but its owner not written yet, or the writer died in between: judge by age.
    try {
      return (await stat(this.dir)).mtimeMs + this.leaseMs < this.clock();
    } catch (err) {
      if (errno(err) === 'ENOENT') return true;
      throw err;
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return errno(err) === 'EPERM';
  }
}
