import { readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory, RetryableError, writeFileAtomic } from '../lib/index.js';
import type { Logger } from '../telemetry/index.js';
import { encodeRecord, parseSegment, RecordType, type RecordTypeValue, type WalRecord } from './record.js';
import type { WalCipher } from './cipher.js';
import { createSegment, listSegments, segmentName, syncDirectory, type Segment } from './segments.js';

/** Options of the write-ahead log (`ingest.wal.*`). */
export interface WalOptions {
  dir: string;
  /**
   * When appends are synced (`ingest.wal.sync`). `adaptive`: at once when no sync is running,
   * and everything that arrived meanwhile in one sync when it ends (a lone append waits about
   * one fsync; a busy log still batches). `always`: one sync per append. A number: one sync
   * per window of that many ms.
   */
  sync: WalSync;
  segmentBytes: number;
  /** A non-empty active segment older than this is sealed, so it can be checkpointed. */
  segmentMaxAgeMs?: number;
  now?: () => number;
  /** Seals each record with its segment's data key (an encrypted store); absent: plaintext. */
  cipher?: WalCipher;
}

/** See {@link WalOptions.sync}. */
export type WalSync = 'adaptive' | 'always' | number;

/** Records found on start, per segment, to replay. */
export interface RecoveredSegment {
  seq: number;
  records: WalRecord[];
}

interface PendingAppend {
  type: RecordTypeValue;
  payload: Uint8Array;
  traceIds: readonly string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const RETRY_AFTER_SECONDS = 5;
/** Where records that cannot be replayed are kept, under the log's directory. */
export const QUARANTINE_FOLDER = 'quarantine';
/** The suffix of a quarantined record: what it holds (its body, decompressed, as it was received). */
const QUARANTINE_SUFFIX: Record<RecordTypeValue, string> = {
  [RecordType.TRACES_PROTOBUF]: 'traces.pb',
  [RecordType.TRACES_JSON]: 'traces.json',
  [RecordType.LOGS_PROTOBUF]: 'logs.pb',
  [RecordType.LOGS_JSON]: 'logs.json',
};

/**
 * Append-only segments under `<runs-dir>/.wal/`. `append` resolves once the record is
 * fsynced (group commit: one sync covers every append that arrived meanwhile). Segments are
 * sealed by size or age and deleted by `checkpoint` once every trace in them is stored.
 */
export class WriteAheadLog {
  private readonly sealed: Segment[] = [];
  private active: Segment | null = null;
  private nextSeq: number;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;

  private constructor(
    private readonly options: WalOptions,
    private readonly logger: Logger,
    recovered: readonly RecoveredSegment[],
  ) {
    for (const r of recovered) this.sealed.push(sealedSegment(options.dir, r.seq));
    this.nextSeq = (recovered.at(-1)?.seq ?? 0) + 1;
  }

  /**
   * Opens the log in `options.dir`, reading every existing segment. A torn or corrupt tail
   * (a crash mid-append) is cut off with a log line; what precedes it is returned to replay.
   */
  static async open(options: WalOptions, logger: Logger): Promise<{ wal: WriteAheadLog; recovered: RecoveredSegment[] }> {
    await makeDirectory(options.dir);
    const recovered: RecoveredSegment[] = [];
    for (const seq of await listSegments(options.dir)) {
      const path = join(options.dir, segmentName(seq));
      const parsed = parseSegment(await readFile(path));
      const { cipher } = options;
      if (cipher) for (const record of parsed.records) record.payload = cipher.open(seq, record.type, record.payload, path);
      if (parsed.problem) {
        logger.warn(
          { segment: path, offset: parsed.validBytes, records_kept: parsed.records.length, reason: parsed.problem },
          'write-ahead log: skipping a torn record at the end of a segment',
        );
        await truncate(path, parsed.validBytes);
      }
      recovered.push({ seq, records: parsed.records });
    }
    return { wal: new WriteAheadLog(options, logger, recovered), recovered };
  }

  /** Notes that a recovered segment holds records of these traces (learnt while replaying). */
  noteTraces(seq: number, traceIds: Iterable<string>): void {
    const segment = this.sealed.find((s) => s.seq === seq);
    if (segment) for (const id of traceIds) segment.traces.add(id);
  }

  /**
   * Keeps a record of segment `seq` that cannot be replayed: its payload (the request body
   * as received) goes to `quarantine/{segment}-{offset}.{traces|logs}.{pb|json}`, synced, so
   * the segment can be deleted without losing it. Resolves with the file's path.
   */
  async quarantine(seq: number, record: WalRecord): Promise<string> {
    const dir = join(this.options.dir, QUARANTINE_FOLDER);
    await makeDirectory(dir);
    const file = join(dir, `${segmentName(seq).replace(/\.wal$/, '')}-${record.offset}.${QUARANTINE_SUFFIX[record.type]}`);
    await writeFileAtomic(file, record.payload, { fsync: true });
    await syncDirectory(dir);
    return file;
  }

  /** Appends one record; resolves when it is durable, rejects with RetryableError if the disk fails. */
  append(type: RecordTypeValue, payload: Uint8Array, traceIds: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError('unavailable', 'the daemon is shutting down', RETRY_AFTER_SECONDS));
    return new Promise((resolve, reject) => {
      this.pending.push({ type, payload, traceIds, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Deletes sealed segments whose traces are all settled (stored as final). `syncStore` is
   * awaited first and must make what the store wrote durable, so deleting the log never
   * leaves data only in the page cache. Returns the number of segments deleted.
   */
  async checkpoint(isSettled: (traceId: string) => boolean, syncStore: () => Promise<void>): Promise<number> {
    // A flush owns the active segment while it runs (and seals it when due itself): seal it
    // here only between flushes. Not waiting for one: under steady load an adaptive log is
    // always flushing.
    if (!this.flushing) await this.rotateIfDue();
    const done = this.sealed.filter((segment) => {
      for (const id of segment.traces) {
        if (!isSettled(id)) return false;
        segment.traces.delete(id);
      }
      return true;
    });
    if (done.length === 0) return 0;
    await syncStore();
    for (const segment of done) {
      await unlink(segment.path);
      this.options.cipher?.forget(segment.seq);
      this.sealed.splice(this.sealed.indexOf(segment), 1);
    }
    await syncDirectory(this.options.dir);
    return done.length;
  }

  /** Syncs what is pending, then closes the active segment; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    await this.flush();
    await this.seal();
  }

  // A running flush takes what arrives meanwhile once its sync ends, so only an idle log
  // needs waking. Adaptive and always wake it after the current turn of the event loop, so
  // appends of one turn (one request, or several parsed together) share the sync.
  private schedule(): void {
    if (this.timer || this.immediate || this.flushing) return;
    const { sync } = this.options;
    const wake = (): void => {
      this.timer = null;
      this.immediate = null;
      void this.flush();
    };
    if (typeof sync === 'number') this.timer = setTimeout(wake, sync);
    else this.immediate = setImmediate(wake);
  }

  private flush(): Promise<void> {
    this.flushing ??= this.drain();
    return this.flushing;
  }

  // Writes batches until nothing is pending. The log counts as flushing until the loop
  // ends, cleared in the same turn as the last batch's appends resolve, so whoever awaited
  // them sees an idle log.
  private async drain(): Promise<void> {
    await Promise.resolve(); // `flushing` is set before the loop can end
    try {
      while (this.pending.length > 0) {
        // `always` syncs each append on its own; the others everything pending.
        const batch = this.options.sync === 'always' ? this.pending.splice(0, 1) : this.pending;
        if (batch === this.pending) this.pending = [];
        await this.writeBatch(batch).then(
          () => batch.forEach((p) => p.resolve()),
          (err: unknown) => batch.forEach((p) => p.reject(err)),
        );
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    const segment = await this.activeSegment();
    const handle = segment.handle!;
    const { cipher } = this.options;
    const records = batch.map((p) => encodeRecord(p.type, cipher ? cipher.seal(segment.seq, p.type, p.payload) : p.payload));
    const size = records.reduce((n, r) => n + r.length, 0);
    try {
      const { bytesWritten } = await handle.writev(records);
      if (bytesWritten !== size) throw Object.assign(new Error('short write'), { code: 'EIO' });
      await handle.datasync();
    } catch (err) {
      await this.undoPartialAppend(segment);
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.logger.error({ err, segment: segment.path }, 'write-ahead log append failed');
      throw new RetryableError('wal_unavailable', `the write-ahead log cannot be written (${code}); retry later`, RETRY_AFTER_SECONDS);
    }
    segment.bytes += size;
    for (const p of batch) for (const id of p.traceIds) segment.traces.add(id);
  }

  // A partly written record would hide every later one on replay: cut it off, or start a
  // new segment when even that fails.
  private async undoPartialAppend(segment: Segment): Promise<void> {
    try {
      await segment.handle!.truncate(segment.bytes);
    } catch {
      await this.seal();
    }
  }

  private async activeSegment(): Promise<Segment> {
    await this.rotateIfDue();
    this.active ??= await createSegment(this.options.dir, this.nextSeq++, this.now());
    return this.active;
  }

  /** Seals the active segment when it is full, or old and not empty. */
  private async rotateIfDue(): Promise<void> {
    const active = this.active;
    if (!active) return;
    const old = active.bytes > 0 && this.now() - active.openedAtMs >= (this.options.segmentMaxAgeMs ?? 300_000);
    if (old || active.bytes >= this.options.segmentBytes) await this.seal();
  }

  private async seal(): Promise<void> {
    const segment = this.active;
    if (!segment) return;
    this.active = null;
    this.sealed.push({ ...segment, handle: null });
    await segment.handle?.close().catch(() => undefined);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function sealedSegment(dir: string, seq: number): Segment {
  return { seq, path: join(dir, segmentName(seq)), handle: null, bytes: 0, openedAtMs: 0, traces: new Set() };
}
