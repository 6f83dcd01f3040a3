import { hostname } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, DIR_MODE, FILE_MODE, makeDirectorySync } from '../lib/index.js';

/** Where each daemon serving a runs dir leaves a file naming itself while it runs. */
export const SERVING_FOLDER = '.serving';
/** The lock a store-changing command holds while it changes the store. */
export const CHANGE_LOCK = '.store-change.lock';

interface Owner {
  pid: number;
  host: string;
  what: string;
}

/** A lock or registration held by this process; `release` is idempotent. */
export interface StoreHold {
  release(): void;
}

/**
 * Registers this process as a daemon serving `runsDir` (`<runs dir>/.serving/<host>.<pid>`),
 * so store-changing commands refuse while it runs. Throws {@link ConflictError} when a
 * store-changing command holds the store: the daemon starts once it has ended.
 */
export function registerServing(runsDir: string): StoreHold {
  const folder = join(runsDir, SERVING_FOLDER);
  makeDirectorySync(folder);
  // Files of daemons that died here (kill -9, a power cut) go; live ones stay.
  servingDaemons(runsDir);
  const file = join(folder, `${hostname()}.${process.pid}`);
  writeOwner(file, { pid: process.pid, host: hostname(), what: 'paracle serve' });
  // Registered first, checked second (the command does the reverse): of a daemon and a
  // command starting together, at least one sees the other.
  const changing = liveOwner(join(runsDir, CHANGE_LOCK, 'owner'));
  if (changing) {
    rmSync(file, { force: true });
    throw new ConflictError(`\`${changing.what}\` (pid ${changing.pid} on ${changing.host}) is changing the runs dir ${runsDir}: start the daemon once it has ended`);
  }
  return { release: () => rmSync(file, { force: true }) };
}

/**
 * Takes the store-change lock of `runsDir` for command `what` (e.g. `paracle keys rotate`).
 * Throws {@link ConflictError} with one sentence while a daemon serves the store or another
 * command changes it; a lock or registration left by a process that died (on this host) is
 * cleared. One host cannot tell whether another host's process still runs: its file is
 * named, to be removed by hand once that daemon is gone.
 */
export function takeChangeLock(runsDir: string, what: string): StoreHold {
  const lock = join(runsDir, CHANGE_LOCK);
  const owner = join(lock, 'owner');
  try {
    mkdirSync(lock, { mode: DIR_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = liveOwner(owner);
    if (holder) throw new ConflictError(`\`${holder.what}\` (pid ${holder.pid} on ${holder.host}) is changing the runs dir ${runsDir} already`);
    // Left by a command that died: taken over.
  }
  writeOwner(owner, { pid: process.pid, host: hostname(), what });
  const release = (): void => rmSync(lock, { recursive: true, force: true });
  const daemon = servingDaemons(runsDir)[0];
  if (daemon) {
    release();
    throw new ConflictError(
      `a daemon (pid ${daemon.owner.pid} on ${daemon.owner.host}) serves the runs dir ${runsDir}: stop it first${daemon.owner.host === hostname() ? '' : ` (or remove ${daemon.file} if it is gone)`}`,
    );
  }
  let held = true;
  return {
    release: () => {
      if (held) release();
      held = false;
    },
  };
}

/** The daemons serving `runsDir` that may still run; the files of those that died are removed. */
function servingDaemons(runsDir: string): { owner: Owner; file: string }[] {
  const folder = join(runsDir, SERVING_FOLDER);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const live: { owner: Owner; file: string }[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const owner = liveOwner(file);
    if (owner) live.push({ owner, file });
    else rmSync(file, { force: true });
  }
  return live;
}

/** The owner named in `file` when it may still run; null when the file is missing or its process died. */
function liveOwner(file: string): Owner | null {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    return null;
  }
  if (owner.host !== hostname()) return owner;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? owner : null;
  }
}

function writeOwner(file: string, owner: Owner): void {
  writeFileSync(file, `${JSON.stringify(owner)}\n`, { mode: FILE_MODE });
}
