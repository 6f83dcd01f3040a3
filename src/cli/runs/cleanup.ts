import { InvalidInputError, ParacleError, parseDurationMs } from '../../lib/index.js';
import type { JobAction, JobReport } from '../../maintenance/index.js';
import type { MaintenanceJob } from '../../model/index.js';
import { renderTable } from './format.js';
import { printJson, withSource, type RunsFlags } from './options.js';

/** Flags of `runs cleanup`. */
export interface CleanupFlags extends RunsFlags {
  olderThan?: string;
  dryRun?: boolean;
}

// Retention decides who leaves; archival then finishes interrupted moves and expires archives.
const CLEANUP_JOBS: readonly MaintenanceJob[] = ['retention', 'archival'];
const BAR_WIDTH = 30;

/**
 * `paracle runs cleanup [--older-than DUR] [--dry-run]`: applies retention now (archive or
 * delete per config), then archival. `--older-than` replaces `retention_days` for this run;
 * `--dry-run` prints what would be done and changes nothing.
 */
export async function cleanupCommand(flags: CleanupFlags): Promise<void> {
  const olderThanMs = flags.olderThan === undefined ? undefined : parseDurationMs(flags.olderThan);
  if (olderThanMs === null) throw new InvalidInputError(`--older-than "${flags.olderThan}" is not a duration (30s, 15m, 12h, 7d, 2w)`);
  const dryRun = flags.dryRun ?? false;
  const reports: JobReport[] = [];
  await withSource(flags, async (source) => {
    for (const job of CLEANUP_JOBS) {
      const progress = !flags.json && process.stderr.isTTY ? progressBar(job) : undefined;
      try {
        reports.push(await source.maintain(job, { dryRun, olderThanMs: job === 'retention' ? olderThanMs : undefined, onProgress: progress }));
      } finally {
        if (progress) process.stderr.write('\r\x1b[2K');
      }
    }
  });
  if (flags.json) printJson({ dry_run: dryRun, reports });
  else printReports(reports, dryRun);
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new ParacleError('maintenance_failed', `${failed} action(s) failed; each is listed above with its reason`);
}

function progressBar(job: MaintenanceJob): (done: number, total: number) => void {
  return (done, total) => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    process.stderr.write(`\r${job.padEnd(10)} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
  };
}

const PAST: Readonly<Record<JobAction['action'], string>> = {
  archive: 'archived',
  delete: 'deleted',
  trim: 'trimmed',
  compress: 'compressed',
  expire: 'expired',
};

function printReports(reports: JobReport[], dryRun: boolean): void {
  const actions = reports.flatMap((r) => r.actions);
  if (actions.length > 0) {
    const rows = actions.map((a) => [a.action, a.run_id, a.kind, a.id ?? '-', a.reason, a.error ?? (a.skipped ? `skipped: ${a.skipped}` : '')]);
    process.stdout.write(renderTable(['ACTION', 'RUN_ID', 'KIND', 'ID', 'REASON', 'RESULT'], rows));
  }
  const done = actions.filter((a) => a.error === undefined && a.skipped === undefined);
  const counts = Object.entries(PAST)
    .map(([action, past]) => [done.filter((a) => a.action === action).length, past] as const)
    .filter(([n]) => n > 0)
    .map(([n, past]) => `${n} ${past}`);
  const summary = counts.length > 0 ? counts.join(', ') : 'nothing to do';
  process.stdout.write(dryRun ? `dry run, nothing changed: would have ${summary === 'nothing to do' ? 'done nothing' : summary}\n` : `${summary}\n`);
}
