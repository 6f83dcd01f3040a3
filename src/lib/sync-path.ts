import { open } from 'node:fs/promises';

const codeOf = (err: unknown): unknown => (err as { code?: unknown }).code;

/** fsync a file or directory, so a rename or a packed archive survives a power loss. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems refuse to sync a directory; the rename is still atomic there.
    if (codeOf(err) !== 'EINVAL' && codeOf(err) !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}
