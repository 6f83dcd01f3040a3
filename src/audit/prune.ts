import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { monthFiles, writeAnchor } from './files.js';
import { checkLine } from './line.js';
import { AuditLock } from './lock.js';
import type { AuditLog } from './writer.js';

const DAY_MS = 86_400_000;

/** The first ms after the UTC month of `YYYY-MM.jsonl`. */
function monthEndMs(file: string): number {
  const year = Number(file.slice(0, 4));
  const month = Number(file.slice(5, 7));
  return Date.UTC(year, month, 1);
}

/** The first line of `path` (its first KiB is enough for one line). */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n', 1)[0]!;
  } finally {
    await handle.close();
  }
}

/**
 * Deletes the monthly files whose month ended more than `days` days before `nowMs` (never the
 * newest one). The anchor, naming the first file kept and the hash its first line chains to,
 * is written first, so `audit verify` still checks the rest from where it now starts.
 */
export async function pruneAudit(dir: string, days: number, nowMs: number, log?: AuditLog): Promise<void> {
  const lock = new AuditLock(dir);
  await lock.acquire();
  try {
    const files = await monthFiles(dir);
    const old = files.slice(0, -1).filter((file) => monthEndMs(file) + days * DAY_MS < nowMs);
    if (old.length === 0) return;
    const kept = files[old.length]!;
    const checked = checkLine(await firstLine(join(dir, kept)));
    if (!('line' in checked)) {
      log?.('error', 'not pruning the audit trail: the first line of the oldest month kept is not valid', { file: kept, problem: checked.problem });
      return;
    }
    await writeAnchor(dir, { file: kept, prev_hash: checked.line.prev_hash });
    for (const file of old) await rm(join(dir, file), { force: true });
    log?.('info', 'deleted audit months past access.audit_retention_days', { files: old, retention_days: days });
  } finally {
    await lock.release();
  }
}
