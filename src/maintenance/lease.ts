import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { breakLockDirectory, DIR_MODE, errnoCode as errno, writeFileAtomic } from '../lib/index.js';
import type { HeldLock, SharedIndex } from '../store/index.js';

/**
 * What lets one process of several sharing a store run maintenance jobs at a time: the lock
 * directory in a local runs dir, a PostgreSQL advisory lock on the shared backend.
 */
export interface Lease {
  /** Takes the lease if no one else holds it; false when someone does. */
  acquire(): Promise<boolean>;
  /** Keeps it; false when it is no longer ours (the job then stops after the run it is on). */
  renew(): Promise<boolean>;
  /** Gives it up, if it is still ours. */
  release(): Promise<void>;
}

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
export class MaintenanceLease implements Lease {
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

/** The name of the advisory lock the replicas of one shared store take for maintenance. */
export const SHARED_LEASE_NAME = 'paracle_maintenance';

/**
 * The lease of the shared backend: a session-level PostgreSQL advisory lock held on a
 * connection of its own (SharedIndex.tryLock). Nothing expires: the server frees the lock
 * when the holder releases it or its session ends (a crash, a lost connection), and a lost
 * connection means a lost lease, which the next renew reports. A job that goes on until then
 * is harmless: each of its changes runs under its run's trace lock, and finds the run as the
 * other holder left it.
 */
export class SharedMaintenanceLease implements Lease {
  private held: HeldLock | null = null;
  private lost = false;

  constructor(private readonly index: SharedIndex) {}

  async acquire(): Promise<boolean> {
    const held = await this.index.tryLock(SHARED_LEASE_NAME);
    if (held === null) return false;
    this.held = held;
    this.lost = false;
    void held.lost.then(() => (this.lost = true));
    return true;
  }

  async renew(): Promise<boolean> {
    return this.held !== null && !this.lost;
  }

  async release(): Promise<void> {
    const held = this.held;
    this.held = null;
    await held?.release();
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
