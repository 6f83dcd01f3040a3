import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listArchives } from './archive/list.js';
import { compareManifest } from './archive/manifest.js';
import { hashArchive, readArchiveManifest } from './archive/read.js';
import { checkIndexFile } from './catalog/catalog.js';
import { codecOf, EnvelopeCodec } from './codec.js';
import { KIND_FOLDERS } from './layout.js';
import { listTree } from './run-files.js';
import { UPLOADS_FOLDER } from './staging.js';
import { openStored } from './stored-file.js';

/** A file that does not open with the store's key, and why. */
export interface FileProblem {
  file: string;
  problem: string;
}

/** What {@link checkStoreFiles} found. */
export interface StoreCheck {
  /** Files read to the end (key files, run files, archives, the index). */
  checked: number;
  problems: FileProblem[];
}

/**
 * The files of run content under `runsDir` that the file codec reads and writes: every file
 * of the live run directories (steps, artifacts and hidden records included) and of staged
 * uploads; temp files of an interrupted write left out.
 */
export async function storedContentFiles(runsDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const folder of [...Object.values(KIND_FOLDERS), UPLOADS_FOLDER]) {
    for (const entry of await listTree(join(runsDir, folder))) {
      if (entry.isFile() && !entry.name.endsWith('.tmp')) files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.sort();
}

/**
 * Reads every file of the store at `runsDir` with the key its codec holds (set by
 * `openStoreEncryption`), authenticating each byte: the data keys, every run file, every
 * archive (each member against the archive's manifest) and the index. Never stops at a
 * problem: each unreadable file is named. `progress` is told after each file.
 */
export async function checkStoreFiles(runsDir: string, progress: (done: number, total: number) => void = () => undefined): Promise<StoreCheck> {
  const problems: FileProblem[] = [];
  const codec = codecOf(join(runsDir, 'x'));
  if (codec instanceof EnvelopeCodec) {
    for (const id of codec.keys.ids()) {
      try {
        codec.keys.get(id);
      } catch (err) {
        problems.push({ file: codec.keys.pathOf(id), problem: messageOf(err) });
      }
    }
  }
  const files = await storedContentFiles(runsDir);
  const archives = (await listArchives(runsDir)).map((archive) => archive.file);
  const total = files.length + archives.length + 1;
  let done = 0;
  const step = (): void => progress(++done, total);
  for (const file of files) {
    await pipeline(openStored(file), discard()).catch((err: unknown) => problems.push({ file, problem: messageOf(err) }));
    step();
  }
  for (const file of archives) {
    try {
      const mismatch = compareManifest((await readArchiveManifest(file)).files, await hashArchive(file));
      if (mismatch.length > 0) problems.push({ file, problem: `its members do not match its manifest (${mismatch.slice(0, 3).join('; ')})` });
    } catch (err) {
      problems.push({ file, problem: messageOf(err) });
    }
    step();
  }
  const index = checkIndexFile(runsDir);
  if (index.problem !== null) problems.push({ file: index.file, problem: index.problem });
  step();
  const keys = codec instanceof EnvelopeCodec ? codec.keys.ids().length : 0;
  return { checked: keys + total, problems };
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
