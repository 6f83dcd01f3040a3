import { rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunKind } from '../../model/index.js';
import { listEntries } from '../artifacts.js';
import { errnoOf, StoreError, storeOp } from '../errors.js';
import { archiveKindFolder, runIdOfArchive } from './layout.js';

/** One archive file. */
export interface ArchiveEntry {
  kind: RunKind;
  runId: string;
  file: string;
  /** The first millisecond of the month folder it is in (the month the run started). */
  monthStartMs: number;
}

const KINDS: readonly RunKind[] = ['agent', 'workflow'];
const YEAR = /^\d{4}$/;
const MONTH = /^(0[1-9]|1[0-2])$/;

/** Every archive of the store, by kind, then month, then run id. Names that are not archives are skipped. */
export async function listArchives(runsDir: string): Promise<ArchiveEntry[]> {
  const found: ArchiveEntry[] = [];
  for (const kind of KINDS) {
    const base = archiveKindFolder(runsDir, kind);
    for (const year of (await listEntries(base)).filter((e) => e.isDirectory() && YEAR.test(e.name))) {
      for (const month of (await listEntries(join(base, year.name))).filter((e) => e.isDirectory() && MONTH.test(e.name))) {
        const folder = join(base, year.name, month.name);
        const monthStartMs = Date.UTC(Number(year.name), Number(month.name) - 1, 1);
        for (const entry of await listEntries(folder)) {
          const runId = entry.isFile() ? runIdOfArchive(entry.name) : null;
          if (runId !== null) found.push({ kind, runId, file: join(folder, entry.name), monthStartMs });
        }
      }
    }
  }
  return found.sort((a, b) => (a.kind === b.kind ? (a.runId < b.runId ? -1 : 1) : a.kind < b.kind ? -1 : 1));
}

/** Deletes one archive, and its month and year folders once they are empty. */
export async function deleteArchive(file: string): Promise<void> {
  await storeOp('remove', file, () => rm(file, { force: true }));
  for (const folder of [dirname(file), dirname(dirname(file))]) {
    try {
      await rmdir(folder);
    } catch (err) {
      if (errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST' || errnoOf(err) === 'ENOENT') return;
      throw new StoreError('remove', folder, err);
    }
  }
}
