import { join } from 'node:path';
import { AUDIT_FOLDER, readAudit, verifyAudit } from '../audit/index.js';
import { parseTimeBound } from '../lib/index.js';
import { renderTable } from './runs/format.js';
import { configuredRunsDir, printJson } from './runs/options.js';

/** The flags of `paracle audit list` and `audit verify`. */
export interface AuditFlags {
  runsDir?: string;
  config?: string;
  json?: boolean;
  since?: string;
  actor?: string;
  run?: string;
}

/** `paracle audit list`: the trail's lines matching the filters, oldest first. */
export async function auditListCommand(flags: AuditFlags): Promise<void> {
  const runsDir = await configuredRunsDir(flags, process.env);
  const sinceMs = flags.since === undefined ? undefined : parseTimeBound(flags.since, Date.now(), '--since');
  const lines = await readAudit(runsDir, { sinceMs, actor: flags.actor, runId: flags.run });
  if (flags.json) return printJson(lines);
  // Values may come from request paths: control characters never reach the terminal.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const safe = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const rows = lines.map((l) => [l.time, l.actor, l.action, l.run_id ?? '', l.count === undefined ? l.outcome : `${l.outcome} ×${l.count}`].map(safe));
  process.stdout.write(renderTable(['TIME', 'ACTOR', 'ACTION', 'RUN', 'OUTCOME'], rows));
}

/**
 * `paracle audit verify`: checks the chain; returns the exit code (1 with the file and line
 * of the first problem on stderr).
 */
export async function auditVerifyCommand(flags: AuditFlags): Promise<number> {
  const runsDir = await configuredRunsDir(flags, process.env);
  const report = await verifyAudit(runsDir);
  if (flags.json) printJson(report);
  if (report.problem) {
    const { file, line, message } = report.problem;
    process.stderr.write(`paracle: ${join(runsDir, AUDIT_FOLDER, file)} line ${line}: ${message}.\n`);
    return 1;
  }
  if (!flags.json) process.stdout.write(`audit trail intact: ${report.lines} lines in ${report.files} files\n`);
  return 0;
}
