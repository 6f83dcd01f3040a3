/**
 * The folder of uploads waiting for their run (`<runs-dir>/.uploads/{trace_id}/`): bounded
 * all together by `ingest.max_staged_upload_bytes`, and emptied of what waited longer than
 * `assembly.orphan_timeout_ms` (a run that never came).
 */
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listEntries } from './artifacts.js';
import { errnoOf } from './errors.js';
import { listTree } from './run-files.js';

/** Uploads for traces without a run directory wait here, one folder per trace id. */
export const UPLOADS_FOLDER = '.uploads';
/** Under {@link UPLOADS_FOLDER}: where upload bodies stream before they are placed (see uploads.ts). */
export const INCOMING_FOLDER = '.incoming';

/** Options of {@link UploadStaging}. */
export interface UploadStagingOptions {
  /** All staged uploads together, in bytes. */
  maxBytes: number;
  /** A trace's staged uploads untouched this long are deleted. */
  maxAgeMs: number;
  now?: () => number;
}

/** Where the staging reports what it deleted. */
export interface StagingLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

// A sweep measures the folder and deletes expired uploads; between sweeps uploads are counted as they come.
const MAX_SWEEP_INTERVAL_MS = 60_000;
const MIN_SWEEP_INTERVAL_MS = 200;

/** Keeps the staged uploads within their bounds; see the module comment. */
export class UploadStaging {
  /** Bytes found on disk by the last sweep, bytes staged since, bytes of uploads in progress. */
  private onDisk = 0;
  private added = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly runsDir: string,
    private readonly options: UploadStagingOptions,
    private readonly log: StagingLog,
  ) {}

  /** The bound, for messages. */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Measures (and sweeps) the folder, then sweeps periodically. */
  async start(): Promise<void> {
    await this.sweep();
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, this.options.maxAgeMs / 2));
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** Takes `bytes` for an upload being staged; false when that would pass the bound. */
  reserve(bytes: number): boolean {
    if (this.onDisk + this.added + this.inFlight + bytes > this.options.maxBytes) return false;
    this.inFlight += bytes;
    return true;
  }

  /** An upload's `bytes`, reserved, are now staged on disk. */
  keep(bytes: number): void {
    this.inFlight -= bytes;
    this.added += bytes;
  }

  /** Gives back `bytes` reserved for an upload that failed. */
  release(bytes: number): void {
    this.inFlight -= bytes;
  }

  /** Deletes expired uploads and measures what is left; one sweep at a time. */
  sweep(): Promise<void> {
    this.sweeping = this.sweeping.then(() => this.sweepOnce()).catch((err: unknown) => {
      this.log.warn({ err }, 'sweeping staged uploads failed');
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const base = join(this.runsDir, UPLOADS_FOLDER);
    const oldest = (this.options.now ?? Date.now)() - this.options.maxAgeMs;
    const addedBefore = this.added;
    let total = 0;
    let expired = 0;
    for (const trace of await listEntries(base)) {
      const folder = join(base, trace.name);
      if (trace.name === INCOMING_FOLDER) {
        await removeStale(folder, oldest);
        continue;
      }
      const { bytes, newestMs } = await measure(folder);
      if (newestMs < oldest) {
        await rm(folder, { recursive: true, force: true });
        expired++;
      } else total += bytes;
    }
    this.onDisk = total;
    // Uploads staged while this sweep measured are counted twice until the next one: safe.
    this.added -= addedBefore;
    if (expired > 0) this.log.info({ traces: expired }, 'deleted uploads that waited past assembly.orphan_timeout_ms for their run');
  }
}

/** Deletes the files in `folder` untouched since `oldestMs`: bodies of uploads cut off by a crash. */
async function removeStale(folder: string, oldestMs: number): Promise<void> {
  for (const entry of await listEntries(folder)) {
    const path = join(folder, entry.name);
    const stat = await lstat(path).catch(() => null);
    if (stat !== null && stat.mtimeMs < oldestMs) await rm(path, { recursive: true, force: true });
  }
}

/** The bytes of the regular files under `folder` and the newest mtime in it (the folder's own included). */
async function measure(folder: string): Promise<{ bytes: number; newestMs: number }> {
  let bytes = 0;
  let newestMs = 0;
  const paths = [folder, ...(await listTree(folder)).map((entry) => join(entry.parentPath, entry.name))];
  for (const path of paths) {
    try {
      const stat = await lstat(path);
      if (stat.isFile()) bytes += stat.size;
      newestMs = Math.max(newestMs, stat.mtimeMs);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }
  return { bytes, newestMs };
}
