import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditDir, monthFiles, splitLines } from './files.js';
import type { AuditLine } from './line.js';

/** Filters of `paracle audit list`; all combine with AND. */
export interface AuditFilter {
  /** Lines at or after this time (epoch ms). */
  sinceMs?: number;
  actor?: string;
  runId?: string;
}

/**
 * The lines of `runsDir`'s trail matching `filter`, oldest first. Months wholly before
 * `sinceMs` are not read; a line that is not JSON is skipped (`audit verify` reports it).
 */
export async function readAudit(runsDir: string, filter: AuditFilter = {}): Promise<AuditLine[]> {
  const dir = auditDir(runsDir);
  const since = filter.sinceMs === undefined ? null : new Date(filter.sinceMs).toISOString();
  const files = (await monthFiles(dir)).filter((file) => since === null || file.slice(0, 7) >= since.slice(0, 7));
  const out: AuditLine[] = [];
  for (const file of files) {
    for (const text of splitLines(await readFile(join(dir, file), 'utf8')).lines) {
      let line: AuditLine;
      try {
        line = JSON.parse(text) as AuditLine;
      } catch {
        continue;
      }
      if (since !== null && line.time < since) continue;
      if (filter.actor !== undefined && line.actor !== filter.actor) continue;
      if (filter.runId !== undefined && line.run_id !== filter.runId) continue;
      out.push(line);
    }
  }
  return out;
}
