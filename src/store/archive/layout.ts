import { join } from 'node:path';
import { decodeTime } from 'ulid';
import type { RunKind } from '../../model/index.js';
import { KIND_FOLDERS, isValidRunId } from '../layout.js';
import { InvalidInputError } from '../../lib/index.js';

/** The folder under the runs dir holding archived runs, laid out like the live store (§2). */
export const ARCHIVE_FOLDER = '.archive';
/**
 * Where a run directory goes on its way out: renaming it here is the one atomic step that
 * takes it out of the live store; whatever is left here is deleted on the next job.
 */
export const TRASH_FOLDER = '.trash';
/** The archive suffix; `{run_id}.tar.gz` is readable with any tar. */
export const ARCHIVE_SUFFIX = '.tar.gz';

/**
 * The archive of a run: `.archive/{agents|workflows}/YYYY/MM/{run_id}.tar.gz`, the month of
 * the run's start taken from its id, so a run is found by id without listing anything.
 */
export function archiveFile(runsDir: string, kind: RunKind, runId: string): string {
  if (!isValidRunId(runId)) throw new InvalidInputError(`"${runId}" is not a run id`);
  const started = new Date(decodeTime(runId));
  const year = String(started.getUTCFullYear()).padStart(4, '0');
  const month = String(started.getUTCMonth() + 1).padStart(2, '0');
  return join(runsDir, ARCHIVE_FOLDER, KIND_FOLDERS[kind], year, month, `${runId}${ARCHIVE_SUFFIX}`);
}

/** The folder holding one kind's archives. */
export function archiveKindFolder(runsDir: string, kind: RunKind): string {
  return join(runsDir, ARCHIVE_FOLDER, KIND_FOLDERS[kind]);
}

/** The run id an archive file name stands for, or null for other names (temp files). */
export function runIdOfArchive(name: string): string | null {
  if (!name.endsWith(ARCHIVE_SUFFIX)) return null;
  const runId = name.slice(0, -ARCHIVE_SUFFIX.length);
  return isValidRunId(runId) ? runId : null;
}
