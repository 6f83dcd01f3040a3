import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { breakLockDirectory, errnoCode as errno, RetryableError } from '../lib/index.js';

/**
 * The lock that orders appends to one audit trail across processes (the daemon, CLI
 * commands on the store): a directory, made with `mkdir` (atomic everywhere). It is held for
 * one append (milliseconds), so one older than `staleMs` was left by a process that died
 * holding it and is broken.
 */
export class AuditLock {
  private readonly path: string;

  constructor(dir: string, private readonly staleMs = 10_000) {
    this.path = join(dir, 'lock');
  }

  /** Takes the lock, waiting up to `timeoutMs`; a {@link RetryableError} when it stays taken. */
  async acquire(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        await mkdir(this.path);
        return;
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      }
      if (await this.breakIfStale()) continue;
      if (Date.now() > deadline) throw new RetryableError('unavailable', 'the audit trail stays locked by another process', 1);
      await sleep(wait);
    }
  }

  /** Gives the lock up. */
  async release(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }

  private async breakIfStale(): Promise<boolean> {
    try {
      if (Date.now() - (await stat(this.path)).mtimeMs < this.staleMs) return false;
    } catch (err) {
      if (errno(err) === 'ENOENT') return true;
      throw err;
    }
    await breakLockDirectory(this.path);
    return true;
  }
}
