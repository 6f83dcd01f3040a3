import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunKind, StoreSize } from '../model/index.js';
import { listEntries } from './artifacts.js';
import { errnoOf } from './errors.js';
import { ARCHIVE_FOLDER } from './archive/layout.js';
import { listArchives } from './archive/list.js';
import { KIND_FOLDERS } from './layout.js';

/**
 * Measures the store: runs per place and kind (run directories live, `.tar.gz` files in the
 * archive) and the bytes of every file per place (live: everything outside dot-folders;
 * archive: `.archive/`). Walks the whole tree, so callers run it in the background and cache
 * the result, never once per scrape. Entries removed while it walks are skipped. Rejects
 * with the signal's reason once `signal` is aborted.
 */
export async function measureStore(runsDir: string, signal?: AbortSignal): Promise<StoreSize> {
  const archiveDir = join(runsDir, ARCHIVE_FOLDER);
  const size: StoreSize = {
    runs: { live: await countRuns(runsDir), archive: await countArchives(runsDir) },
    bytes: { live: 0, archive: await bytesUnder(archiveDir, signal) },
  };
  for (const entry of await listEntries(runsDir)) {
    // `.archive` is measured on its own; other dot-folders (the ingest log) hold no runs.
    if (entry.name.startsWith('.')) continue;
    size.bytes.live += await bytesOf(join(runsDir, entry.name), entry.isDirectory(), signal);
  }
  return size;
}

async function countRuns(base: string): Promise<Record<RunKind, number>> {
  const counts: Record<RunKind, number> = { agent: 0, workflow: 0 };
  for (const kind of Object.keys(counts) as RunKind[]) counts[kind] = (await listEntries(join(base, KIND_FOLDERS[kind]))).length;
  return counts;
}

async function countArchives(runsDir: string): Promise<Record<RunKind, number>> {
  const counts: Record<RunKind, number> = { agent: 0, workflow: 0 };
  for (const archive of await listArchives(runsDir)) counts[archive.kind] += 1;
  return counts;
}

async function bytesUnder(dir: string, signal?: AbortSignal): Promise<number> {
  // A walk of a large store takes seconds: a stopping daemon must not wait for it.
  signal?.throwIfAborted();
  let total = 0;
  for (const entry of await listEntries(dir)) total += await bytesOf(join(dir, entry.name), entry.isDirectory(), signal);
  return total;
}

async function bytesOf(path: string, isDirectory: boolean, signal?: AbortSignal): Promise<number> {
  if (isDirectory) return bytesUnder(path, signal);
  try {
    return (await lstat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 0;
    throw err;
  }
}

