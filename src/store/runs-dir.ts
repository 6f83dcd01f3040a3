import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_MODE, makeDirectory, StartupError } from '../lib/index.js';

/**
 * Makes sure the runs directory exists and takes writes, so that a bad `--runs-dir` fails at
 * start-up with one sentence instead of failing every trace later.
 */
export async function ensureWritableRunsDir(runsDir: string): Promise<void> {
  const probe = join(runsDir, `.write-probe-${randomBytes(4).toString('hex')}`);
  try {
    await makeDirectory(runsDir);
    await writeFile(probe, '', { mode: FILE_MODE });
    await rm(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(`the runs directory ${runsDir} is not writable (${code})`, { cause: err });
  }
}
