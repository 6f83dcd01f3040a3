import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';

/** The audit folder under a runs dir. */
export const AUDIT_FOLDER = '.audit';
const HEAD_FILE = 'head.json';
const ANCHOR_FILE = 'anchor.json';
const MONTH_FILE = /^\d{4}-\d{2}\.jsonl$/;

/** The newest line, kept apart from the lines: its file, how many lines and bytes that file has, its hash. */
export interface AuditHead {
  file: string;
  lines: number;
  bytes: number;
  hash: string;
}

/** Where the chain starts once old months were deleted (`access.audit_retention_days`). */
export interface AuditAnchor {
  file: string;
  prev_hash: string;
}

/** The audit folder of `runsDir`. */
export function auditDir(runsDir: string): string {
  return join(runsDir, AUDIT_FOLDER);
}

/** Creates the audit folder, readable by its owner only. */
export async function ensureAuditDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** The file of the UTC month of `time` (ISO-8601): `YYYY-MM.jsonl`. */
export function monthFile(time: string): string {
  return `${time.slice(0, 7)}.jsonl`;
}

/** The monthly files, oldest first; [] when there is no audit folder. */
export async function monthFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => MONTH_FILE.test(name)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The recorded newest line; null when none was recorded. */
export function readHead(dir: string): Promise<AuditHead | null> {
  return readJson<AuditHead>(join(dir, HEAD_FILE));
}

/** Records the newest line, durably. */
export function writeHead(dir: string, head: AuditHead): Promise<void> {
  return writeFileAtomic(join(dir, HEAD_FILE), `${JSON.stringify(head)}\n`, { fsync: true });
}

/** The anchor left by pruning; null when the chain starts at its first line. */
export function readAnchor(dir: string): Promise<AuditAnchor | null> {
  return readJson<AuditAnchor>(join(dir, ANCHOR_FILE));
}

/** Records where the chain starts, durably, before older months are deleted. */
export function writeAnchor(dir: string, anchor: AuditAnchor): Promise<void> {
  return writeFileAtomic(join(dir, ANCHOR_FILE), `${JSON.stringify(anchor)}\n`, { fsync: true });
}

/** Splits file text into complete lines (without `\n`) and the torn rest after the last `\n`. */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], rest: text };
  return { lines: text.slice(0, end).split('\n'), rest: text.slice(end + 1) };
}
