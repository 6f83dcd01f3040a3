import { readFile } from 'node:fs/promises';
import { errnoOf, storeOp } from './errors.js';

/** A file's text, or null when it does not exist; other failures throw {@link StoreError}. */
export function readTextIfExists(path: string): Promise<string | null> {
  return storeOp('read', path, async () => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw err;
    }
  });
}
