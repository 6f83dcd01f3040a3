import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHeader } from '../crypt/index.js';
import { ConflictError } from '../lib/index.js';
import type { RunCatalog } from './catalog/catalog.js';
import { codecOf, EnvelopeCodec } from './codec.js';
import { deleteArchive } from './archive/list.js';
import { archiveFile } from './archive/layout.js';
import { parseMetadata } from './metadata.js';
import { listFiles } from './run-files.js';
import { openStoredRun } from './stored-run.js';
import { removeRun } from './writer.js';

/** What {@link shredRun} did. */
export interface ShredResult {
  run_id: string;
  /** Where the run was: its live directory or its archive. */
  place: 'live' | 'archive';
  /** The data keys destroyed (none in a plaintext store: its files are only deleted). */
  keys_destroyed: string[];
}

/**
 * Crypto-shreds run `runId` (live or archived): destroys every data key its files name (the
 * run's own and, for adopted uploads, their trace's), so its content is unreadable
 * everywhere, copies and backups included; then deletes its directory or archive and its
 * index entry. In a plaintext store the files are only deleted. Throws NotFoundError when
 * there is no such run.
 */
export async function shredRun(runsDir: string, catalog: RunCatalog, runId: string): Promise<ShredResult> {
  const run = await openStoredRun(runsDir, runId);
  const codec = codecOf(join(runsDir, 'x'));
  const keyIds = new Set<string>();
  if (codec instanceof EnvelopeCodec) {
    keyIds.add(runId);
    const traceId = parseMetadata(await run.metadataText()).trace_id;
    if (typeof traceId === 'string') keyIds.add(`upload-${traceId}`);
    if (run.place === 'live') for (const id of await liveKeyIds(join(runsDir, run.kind === 'agent' ? 'agents' : 'workflows', runId))) keyIds.add(id);
    for (const id of keyIds) if (codec.keys.get(id) === null) keyIds.delete(id);
  }
  if (keyIds.has('store') || keyIds.has('index')) throw new ConflictError(`run ${runId} names a store key; not shredded`);
  const destroyed = codec instanceof EnvelopeCodec ? [...keyIds].filter((id) => codec.keys.destroy(id)) : [];
  if (run.place === 'live') await removeRun(runsDir, run.kind, runId);
  else await deleteArchive(archiveFile(runsDir, run.kind, runId));
  await catalog.apply([{ remove: runId }]);
  return { run_id: runId, place: run.place, keys_destroyed: destroyed.sort() };
}

/** The data key ids named in the headers of a live run directory's files. */
async function liveKeyIds(dir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const file of await listFiles(dir)) {
    const handle = await open(join(dir, file.path), 'r');
    try {
      const head = Buffer.alloc(300);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const header = parseHeader(head.subarray(0, bytesRead), file.path);
      if (header) ids.add(header.keyId);
    } catch {
      // A damaged header names no key: the file goes with the directory.
    } finally {
      await handle.close();
    }
  }
  return ids;
}
