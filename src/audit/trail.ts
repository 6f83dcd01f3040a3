import type { AuthFailureReason } from '../model/index.js';
import type { AuditEntry } from './line.js';
import { pruneAudit } from './prune.js';
import { AuditWriter, type AuditLog } from './writer.js';

/** Options of an {@link AuditTrail}. */
export interface AuditTrailOptions {
  runsDir: string;
  log?: AuditLog;
  /** `access.audit_retention_days`: null keeps every line. */
  retentionDays?: number | null;
  clock?: () => number;
}

/** The recording side other features use: one durable line per action. */
export interface AuditRecorder {
  /**
   * Records one action; resolves once its line is on disk, so call it before answering.
   * Rejects when the line cannot be written: the action must then fail too.
   */
  record(entry: AuditEntry): Promise<void>;
}

interface Pending {
  entry: AuditEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Refusals of one actor and reason within one minute. */
interface FailureWindow {
  minute: number;
  /** Refusals after the first, not yet written. */
  summed: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/**
 * The daemon's audit trail (INTERFACE.md §9): {@link record} writes one line per action,
 * durably, concurrent records sharing one write and sync (group commit). Auth failures are
 * bounded: the first of an actor and reason in a minute gets its line at once, the others of
 * that minute are summed into one line with a `count` once the minute is over (or at
 * shutdown). With `retentionDays`, whole months older than that are deleted hourly.
 */
export class AuditTrail implements AuditRecorder {
  private writer: AuditWriter | null = null;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly windows = new Map<string, FailureWindow & { actor: string; reason: AuthFailureReason }>();
  private timers: NodeJS.Timeout[] = [];
  private readonly clock: () => number;
  private retentionDays: number | null;

  constructor(private readonly options: AuditTrailOptions) {
    this.clock = options.clock ?? Date.now;
    this.retentionDays = options.retentionDays ?? null;
  }

  /** Opens the trail (repairing what a crash left) and prunes it. */
  async start(): Promise<void> {
    if (this.writer) return;
    this.writer = await AuditWriter.open(this.options.runsDir, { log: this.options.log, clock: this.clock });
    await this.prune();
    const every = (ms: number, task: () => Promise<void>): void => {
      const timer = setInterval(() => void task().catch((err: unknown) => this.report(err)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(MINUTE_MS / 6, () => this.sumFailures(false));
    every(HOUR_MS, () => this.prune());
  }

  /** Writes the failures still being summed and waits for every pending line. Idempotent. */
  async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (!this.writer) return;
    await this.sumFailures(true);
    await this.flushing;
  }

  /** Takes a new `access.audit_retention_days` (config reload). */
  setRetention(days: number | null): void {
    this.retentionDays = days;
  }

  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.writer) return reject(new Error('the audit trail is not open'));
      this.queue.push({ entry, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Records a refused request: at once for the first of `actor` and `reason` in a minute,
   * summed with the others of that minute afterwards (those resolve at once).
   */
  async authFailure(actor: string, reason: AuthFailureReason, runId?: string): Promise<void> {
    const minute = Math.floor(this.clock() / MINUTE_MS);
    const key = `${reason}\u0000${actor}`;
    const window = this.windows.get(key);
    if (window && window.minute === minute) {
      window.summed++;
      return;
    }
    if (window && window.summed > 0) void this.writeSum(window).catch((err: unknown) => this.report(err));
    this.windows.set(key, { minute, summed: 0, actor, reason });
    await this.record({ actor, action: 'auth.failure', outcome: reason, ...(runId !== undefined ? { run_id: runId } : {}) });
  }

  private async sumFailures(all: boolean): Promise<void> {
    const minute = Math.floor(this.clock() / MINUTE_MS);
    const done = [...this.windows].filter(([, w]) => all || w.minute < minute);
    for (const [key] of done) this.windows.delete(key);
    await Promise.all(done.filter(([, w]) => w.summed > 0).map(([, w]) => this.writeSum(w)));
  }

  private writeSum(window: FailureWindow & { actor: string; reason: AuthFailureReason }): Promise<void> {
    const count = window.summed;
    window.summed = 0;
    return this.record({ actor: window.actor, action: 'auth.failure', outcome: window.reason, count });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writer!.append(batch.map((p) => p.entry));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = null;
  }

  private async prune(): Promise<void> {
    if (this.retentionDays !== null && this.writer) await pruneAudit(this.writer.dir, this.retentionDays, this.clock(), this.options.log);
  }

  private report(err: unknown): void {
    this.options.log?.('error', 'audit trail upkeep failed', { err });
  }
}
