import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { FILE_MODE, makeDirectory } from './private-fs.js';

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** fsync the file before the rename (durable across power loss, slower). */
  fsync?: boolean;
}

/**
 * Writes `data` to `path` so that a reader sees either the old file or the whole new one,
 * never a part: the bytes go to a temp file in the same directory, which is then renamed
 * over the target, which is owner-only (0600) like its parent directories when they are made.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await openCreatingParent(tmp, dir);
  try {
    await handle.writeFile(data);
    if (options.fsync) await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Opens a new file for writing; its parent directory is made only when missing (one syscall less per write). */
async function openCreatingParent(path: string, dir: string): Promise<FileHandle> {
  try {
    return await open(path, 'w', FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await makeDirectory(dir);
  return open(path, 'w', FILE_MODE);
}
