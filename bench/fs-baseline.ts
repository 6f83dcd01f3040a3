/**
 * Baseline B: the raw file system doing what the store does per run, and nothing else. Each
 * run gets a fresh directory `agents/{id}/` and its five files, each written as the store's
 * writeFileAtomic does (src/lib/atomic-write.ts: mkdir -p of the parent, a temp file in the
 * same directory, write, close, rename over the target; fsync only when asked, which the store
 * does not), with as many runs at once as the run-store exporter writes (16).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The five run files, in the order the store writes them. */
export const RUN_FILES = ['input.json', 'output.json', 'trace.json', 'logs.txt', 'metadata.yaml'] as const;

/** The exporter's default number of run directories written at once. */
export const STORE_CONCURRENCY = 16;

async function writeAtomic(path: string, data: Buffer, fsync: boolean): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** The contents of one real run's files, to write runs of the same sizes; `null` entries get 1 KiB. */
export async function sampleRunFiles(runDir: string | null): Promise<Buffer[]> {
  return Promise.all(
    RUN_FILES.map(async (name) => {
      if (runDir) {
        try {
          return await readFile(join(runDir, name));
        } catch {
          // A run without this file: fall through to the stand-in.
        }
      }
      return Buffer.alloc(1024, 'x');
    }),
  );
}

/** Writes `runs` run directories under `root`; returns runs per second. */
export async function fsBaseline(root: string, runs: number, files: readonly Buffer[], fsync: boolean): Promise<{ runsPerSecond: number; seconds: number }> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: STORE_CONCURRENCY }, async () => {
      while (next < runs) {
        const dir = join(root, 'agents', `run-${String(next++).padStart(8, '0')}`);
        await mkdir(dir, { recursive: true });
        for (let f = 0; f < RUN_FILES.length; f++) await writeAtomic(join(dir, RUN_FILES[f]!), files[f]!, fsync);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { runsPerSecond: runs / seconds, seconds };
}
