import { userInfo } from 'node:os';
import type { AuditEntry } from './line.js';
import { AuditWriter, type AuditLog } from './writer.js';

/** The actor of a CLI command working on the store itself: `local:<OS user>`. */
export function localActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `local:${name}`;
}

/**
 * Records one action of a CLI command on `runsDir` (actor `local:<OS user>`), durably, in the
 * same chain as the daemon's lines. Call it before printing the command's result.
 */
export async function recordLocalAction(runsDir: string, entry: Omit<AuditEntry, 'actor'>, log?: AuditLog): Promise<void> {
  const writer = await AuditWriter.open(runsDir, { log });
  await writer.append([{ ...entry, actor: localActor() }]);
}
