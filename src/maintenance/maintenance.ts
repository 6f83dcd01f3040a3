import cron, { type ScheduledTask } from 'node-cron';
import { ConflictError, describeError } from '../lib/index.js';
import { MAINTENANCE_JOBS, type MaintenanceJob } from '../model/index.js';
import type { Component } from '../contracts/index.js';
import { sharedStoreOf, type RunStore } from '../store/index.js';
import type { Logger, Metrics } from '../telemetry/index.js';
import { runJob, type JobReport } from './jobs.js';
import { MaintenanceLease, SharedMaintenanceLease, type Lease } from './lease.js';
import type { RunsPolicy } from './policy.js';

/** What {@link Maintenance} works with. */
export interface MaintenanceOptions {
  store: RunStore;
  policy: RunsPolicy;
  logger: Logger;
  /** Counts job runs (the daemon); a CLI run leaves it out. */
  metrics?: Pick<Metrics, 'maintenanceJobRan'>;
  clock?: () => number;
  /** How long the cross-process lock is held without renewal (default 60 s). */
  leaseMs?: number;
}

/** How one job run is asked for. */
export interface JobRequest {
  dryRun?: boolean;
  /** Retention only: the age past which runs leave, instead of `retention_days`. */
  olderThanMs?: number;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_LEASE_MS = 60_000;

/**
 * The maintenance scheduler: runs the four jobs on their cron schedules and on request,
 * never two at once in this process (a request waits for the job running) and never one
 * while another process holds the runs dir's lease. Schedules and policy follow
 * {@link reconfigure} without a restart.
 */
export class Maintenance implements Component {
  private policy: RunsPolicy;
  private readonly tasks = new Map<MaintenanceJob, ScheduledTask>();
  private readonly pending = new Set<MaintenanceJob>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private started = false;

  constructor(private readonly options: MaintenanceOptions) {
    this.policy = options.policy;
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    // node-cron's own notices (a missed tick after a stalled event loop) go to our log.
    cron.setLogger({
      info: (message) => logger.debug({ source: 'node-cron' }, message),
      warn: (message) => logger.warn({ source: 'node-cron' }, message),
      error: (message) => logger.error({ source: 'node-cron' }, String(message)),
      debug: (message) => logger.debug({ source: 'node-cron' }, String(message)),
    });
    this.started = true;
    this.schedule();
  }

  /** Stops the schedules, asks a running job to stop after the run it is on, and waits for it. */
  async shutdown(): Promise<void> {
    this.started = false;
    this.unschedule();
    this.stopping.abort();
    await this.queue;
  }

  /** Applies a changed `runs` policy; schedules that changed are re-armed at once. */
  reconfigure(policy: RunsPolicy): void {
    const changed = MAINTENANCE_JOBS.filter((job) => policy.schedules[job] !== this.policy.schedules[job]);
    this.policy = policy;
    if (changed.length === 0 || !this.started) return;
    this.unschedule();
    this.schedule();
    this.options.logger.info({ jobs: changed, schedules: policy.schedules }, 'maintenance schedules changed');
  }

  /**
   * Runs `job` now (after a job already running here finishes). Throws {@link ConflictError}
   * when the same job is already running or waiting, or another process holds the lease.
   */
  run(job: MaintenanceJob, request: JobRequest = {}): Promise<JobReport> {
    if (this.pending.has(job)) throw new ConflictError(`the ${job} job is already running`);
    this.pending.add(job);
    const result = this.queue.then(() => this.runLeased(job, request)).finally(() => this.pending.delete(job));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private schedule(): void {
    for (const job of MAINTENANCE_JOBS) {
      const task = cron.schedule(this.policy.schedules[job], () => this.runScheduled(job), { name: `paracle-${job}` });
      this.tasks.set(job, task);
    }
  }

  private unschedule(): void {
    for (const task of this.tasks.values()) void task.destroy();
    this.tasks.clear();
  }

  private async runScheduled(job: MaintenanceJob): Promise<void> {
    try {
      await this.run(job);
    } catch (err) {
      // Busy is the normal case of several daemons on one runs dir, not a failure.
      if (err instanceof ConflictError) this.options.logger.debug({ job, reason: err.message }, 'scheduled maintenance job skipped');
      else this.options.logger.error({ job, err }, 'maintenance job could not run');
    }
  }

  private async runLeased(job: MaintenanceJob, request: JobRequest): Promise<JobReport> {
    const { store, logger, metrics, clock = Date.now, leaseMs = DEFAULT_LEASE_MS } = this.options;
    const shared = sharedStoreOf(store.runsDir);
    const lease: Lease = shared ? new SharedMaintenanceLease(shared.index) : new MaintenanceLease(store.runsDir, leaseMs, clock);
    if (!(await lease.acquire())) {
      throw new ConflictError(shared ? 'another replica is running maintenance on the shared store' : `another process is running maintenance on ${store.runsDir}`);
    }
    const aborted = new AbortController();
    const signal = AbortSignal.any([aborted.signal, this.stopping.signal]);
    const renewal = setInterval(() => {
      lease.renew().then(
        (held) => held || aborted.abort(),
        (err: unknown) => logger.warn({ err, job }, 'renewing the maintenance lease failed'),
      );
    }, leaseMs / 3);
    renewal.unref();
    const started = performance.now();
    const dryRun = request.dryRun ?? false;
    try {
      const report = await runJob(job, {
        store,
        policy: this.policy,
        nowMs: clock(),
        dryRun,
        olderThanMs: request.olderThanMs,
        signal,
        onProgress: request.onProgress,
      });
      const seconds = (performance.now() - started) / 1000;
      const fields = { dry_run: dryRun, actions: report.actions.length, failed: report.failed, recovered: report.recovered };
      if (!dryRun) {
        metrics?.maintenanceJobRan(job, report.failed > 0 ? 'error' : 'ok', seconds, fields);
      }
      for (const action of report.actions.filter((a) => a.error !== undefined)) {
        logger.warn({ job, ...action }, 'maintenance action failed');
      }
      return report;
    } catch (err) {
      if (!dryRun) metrics?.maintenanceJobRan(job, 'error', (performance.now() - started) / 1000, { err: describeError(err) });
      throw err;
    } finally {
      clearInterval(renewal);
      await lease.release();
    }
  }
}
