import { open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode as errno, faultPoint, syncPath } from '../lib/index.js';
import { auditDir, ensureAuditDir, monthFile, monthFiles, readHead, writeHead, type AuditHead } from './files.js';
import { chainLine, checkLine, GENESIS_HASH, type AuditEntry } from './line.js';
import { AuditLock } from './lock.js';

/** Where the trail reports what it repaired or found wrong (the daemon logs, the CLI prints). */
export type AuditLog = (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;

/** Options of {@link AuditWriter.open}. */
export interface AuditWriterOptions {
  log?: AuditLog;
  /** Epoch ms of each line's `time` (tests move it across months). */
  clock?: () => number;
}

/** The end of the chain: the newest file ('' before the first line), its lines and bytes, the newest hash. */
interface ChainEnd {
  file: string;
  lines: number;
  bytes: number;
  hash: string;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errno(err) === 'ENOENT') return -1;
    throw err;
  }
}

/** The bytes of `path` from `offset` to its end; none when it does not exist. */
async function readFrom(path: string, offset: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errno(err) === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const data = Buffer.alloc(Math.max(0, size - offset));
    if (data.length > 0) await handle.read(data, 0, data.length, offset);
    return data;
  } finally {
    await handle.close();
  }
}

/**
 * Appends lines to the hash-chained trail of one runs dir (INTERFACE.md §9), from any number
 * of processes: each append takes the lock, finds the end of the chain (the recorded head,
 * checked against the file), writes the lines in one go, syncs them, then records the new
 * head. A crash between those steps is repaired by the next append: a torn last line is cut
 * (nothing after it was ever acknowledged), complete lines the head does not know yet are
 * adopted. Whatever looks tampered with is logged and kept, so `audit verify` still shows it.
 */
export class AuditWriter {
  private end: ChainEnd | null = null;

  private constructor(
    readonly dir: string,
    private readonly lock: AuditLock,
    private readonly log: AuditLog,
    private readonly clock: () => number,
  ) {}

  /** Opens the trail of `runsDir` (creating `.audit/`, 0700) and repairs what a crash left. */
  static async open(runsDir: string, options: AuditWriterOptions = {}): Promise<AuditWriter> {
    const dir = auditDir(runsDir);
    await ensureAuditDir(dir);
    const writer = new AuditWriter(dir, new AuditLock(dir), options.log ?? (() => undefined), options.clock ?? Date.now);
    await writer.locked(() => writer.chainEnd());
    return writer;
  }

  /** Appends `entries` in order, all with the current time; resolves once they are on disk. */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.locked(async () => {
      const end = await this.chainEnd();
      const time = new Date(this.clock()).toISOString();
      // A clock stepping back across a month never writes into an older file.
      const file = end.file > monthFile(time) ? end.file : monthFile(time);
      let hash = end.hash;
      const text = entries
        .map((entry) => {
          const chained = chainLine(entry, time, hash);
          hash = chained.line.hash;
          return chained.text;
        })
        .join('');
      const bytes = await this.write(file, Buffer.from(text), file !== end.file);
      faultPoint('audit.appended');
      const next: AuditHead = { file, lines: (file === end.file ? end.lines : 0) + entries.length, bytes, hash };
      await writeHead(this.dir, next);
      this.end = next;
    });
  }

  private async locked<T>(body: () => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      return await body();
    } finally {
      await this.lock.release();
    }
  }

  /** Writes and syncs `data` at the end of `file`; returns the file's size after. */
  private async write(file: string, data: Buffer, created: boolean): Promise<number> {
    const handle = await open(join(this.dir, file), 'a', 0o600);
    try {
      // Two writes, so the crash tests can stop between them: the torn line a power cut leaves.
      const half = Math.ceil(data.length / 2);
      await handle.write(data.subarray(0, half));
      faultPoint('audit.torn');
      await handle.write(data.subarray(half));
      await handle.datasync();
      const { size } = await handle.stat();
      if (created) await syncPath(this.dir);
      return size;
    } finally {
      await handle.close();
    }
  }

  /** The end of the chain, repaired when the files and the head disagree. Call under the lock. */
  private async chainEnd(): Promise<ChainEnd> {
    const head = await readHead(this.dir);
    const cached = this.end;
    if (head && cached && head.hash === cached.hash && head.file === cached.file && head.bytes === cached.bytes) {
      if ((await sizeOf(join(this.dir, head.file))) === head.bytes) return cached;
    }
    const end = await this.recover(head);
    if (head?.hash !== end.hash || head.bytes !== end.bytes || head.file !== end.file) {
      await writeHead(this.dir, { file: end.file, lines: end.lines, bytes: end.bytes, hash: end.hash });
    }
    this.end = end;
    return end;
  }

  private async recover(head: AuditHead | null): Promise<ChainEnd> {
    const files = await monthFiles(this.dir);
    if (!head) {
      if (files.length === 0) {
        // Recorded before the first line, so a crash right after writing it is told from a lost head.
        const start = { file: '', lines: 0, bytes: 0, hash: GENESIS_HASH };
        await writeHead(this.dir, start);
        return start;
      }
      this.log('error', 'the audit trail has no recorded newest line (head.json); the chain continues from the last line on disk', { dir: this.dir });
      return this.adopt({ file: files.at(-1)!, lines: 0, bytes: 0, hash: GENESIS_HASH }, [], false);
    }
    const size = head.file === '' ? 0 : await sizeOf(join(this.dir, head.file));
    const later = files.filter((name) => name > head.file);
    if (size >= head.bytes) return this.adopt({ ...head }, later, true);
    this.log('error', 'an audit file is shorter than its recorded newest line: lines were removed; new lines chain to the recorded hash, so `paracle audit verify` shows the gap', {
      file: head.file,
      bytes: size,
      recorded_bytes: head.bytes,
    });
    const rescanned = await this.adopt({ file: head.file, lines: 0, bytes: 0, hash: head.hash }, later, false);
    return { ...rescanned, hash: later.length > 0 ? rescanned.hash : head.hash };
  }

  /**
   * Takes in the complete lines after `from` in its file and in the `later` files, cutting a
   * torn last line. `afterHead`: the lines were written after the head was recorded, so they
   * must chain from `from`; mismatches are logged, never removed.
   */
  private async adopt(from: ChainEnd, later: readonly string[], afterHead: boolean): Promise<ChainEnd> {
    let check = afterHead;
    let end = from;
    let adopted = 0;
    for (const file of from.file ? [from.file, ...later] : later) {
      const path = join(this.dir, file);
      const offset = file === from.file ? from.bytes : 0;
      const data = await readFrom(path, offset);
      const last = data.lastIndexOf(0x0a);
      const complete = data.subarray(0, last + 1);
      if (last + 1 < data.length) {
        await truncate(path, offset + complete.length);
        this.log('warn', 'cut a torn audit line left by a crash (it was never acknowledged)', { file, bytes: data.length - complete.length });
      }
      const texts = complete.length > 0 ? complete.toString('utf8').slice(0, -1).split('\n') : [];
      let lines = file === from.file ? end.lines : 0;
      let hash = end.hash;
      for (const text of texts) {
        const checked = checkLine(text);
        const line = 'line' in checked ? checked.line : null;
        if (!line || (check && line.prev_hash !== hash)) {
          this.log('error', 'an audit line does not chain to the one before it; kept for `paracle audit verify`', { file, line: lines + 1 });
        }
        hash = line?.hash ?? hash;
        check = true;
        lines++;
      }
      adopted += texts.length;
      if (offset + complete.length > 0 || file === from.file) end = { file, lines, bytes: offset + complete.length, hash };
    }
    if (adopted > 0 && afterHead) this.log('warn', 'adopted audit lines written just before a crash', { lines: adopted });
    return end;
  }
}
