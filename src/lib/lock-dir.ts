import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';

/** The errno code of a file-system error (`ENOENT`...), undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/**
 * Removes a lock directory found stale, so the next `mkdir` of it takes the lock. It is
 * renamed away first: of two processes breaking the same lock, only one moves it, and the
 * other never deletes a lock taken again in between.
 */
export async function breakLockDirectory(path: string): Promise<void> {
  const stale = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, stale);
  } catch (err) {
    // Another breaker moved it first.
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  await rm(stale, { recursive: true, force: true });
}
