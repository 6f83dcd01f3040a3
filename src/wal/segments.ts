import { open, readdir, type FileHandle } from 'node:fs/promises';
import { FILE_MODE } from '../lib/index.js';
import { join } from 'node:path';

const NAME = /^(\d{16})\.wal$/;

/** File name of segment `seq`: fixed width, so names sort in sequence order. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.wal`;
}

/** Sequence numbers of the segments in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** One segment file and the traces whose records it holds. */
export interface Segment {
  seq: number;
  path: string;
  /** Open for appending while the segment is active; null once sealed. */
  handle: FileHandle | null;
  bytes: number;
  openedAtMs: number;
  traces: Set<string>;
}

/**
 * Creates segment `seq` for appending and makes its directory entry durable, so the new
 * file itself survives a power loss along with what is synced into it.
 */
export async function createSegment(dir: string, seq: number, nowMs: number): Promise<Segment> {
  const path = join(dir, segmentName(seq));
  const handle = await open(path, 'a', FILE_MODE);
  await syncDirectory(dir);
  return { seq, path, handle, bytes: 0, openedAtMs: nowMs, traces: new Set() };
}

/** fsyncs a directory, so entries created or removed in it are durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
