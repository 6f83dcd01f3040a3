/**
 * Modes of everything the daemon and the CLI create: telemetry holds prompts and outputs, so
 * files are 0600 and directories 0700 (owner only), whatever the umask widens; the umask
 * can only narrow them further. Every file and directory is created through these.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

/** The mode of every file created: read and write for the owner only. */
export const FILE_MODE = 0o600;

/** The mode of every directory created: the owner only. */
export const DIR_MODE = 0o700;

/**
 * Creates `path` and any missing parents with {@link DIR_MODE}; nothing happens when it
 * exists. Resolves with the first directory created, undefined when none was (as `mkdir`).
 */
export function makeDirectory(path: string): Promise<string | undefined> {
  return mkdir(path, { recursive: true, mode: DIR_MODE });
}

/** {@link makeDirectory}, synchronously (for start-up code that cannot wait). */
export function makeDirectorySync(path: string): string | undefined {
  return mkdirSync(path, { recursive: true, mode: DIR_MODE });
}
