import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { RunCatalog, RunStore, type RunQuery, type StatsQuery } from '../../store/index.js';
import type { RunFileKey } from '../../store/index.js';
import type { JobReport, JobRequest, RunsPolicy } from '../../maintenance/index.js';
import type { MaintenanceJob } from '../../model/index.js';
import type { RunsSource, RunsPage, StatsAnswer } from './source.js';

/** Opens the index of `runsDir` (rebuilding it if need be, with a line on stderr). */
export async function openLocalStore(runsDir: string): Promise<RunStore> {
  const catalog = await RunCatalog.open(runsDir, (message) => process.stderr.write(`paracle: ${message}\n`));
  return new RunStore(runsDir, catalog);
}

/** Answers from a runs dir and its index, without a daemon. */
export class LocalSource implements RunsSource {
  /** `policy`: loads the `runs` settings maintenance follows, when a job is asked for. */
  constructor(
    private readonly store: RunStore,
    private readonly policy: () => Promise<RunsPolicy>,
  ) {}

  async list(query: RunQuery): Promise<RunsPage> {
    const page = this.store.list(query);
    return { runs: page.runs, next_cursor: page.nextCursor };
  }

  get(runId: string): ReturnType<RunStore['get']> {
    return this.store.get(runId);
  }

  artifacts(runId: string): ReturnType<RunStore['artifacts']> {
    return this.store.artifacts(runId);
  }

  readArtifact(runId: string, path: string): Promise<Readable> {
    return this.store.openArtifact(runId, path);
  }

  async readFile(runId: string, key: RunFileKey): Promise<Buffer> {
    return buffer(await this.store.openFile(runId, key));
  }

  async stats(query: StatsQuery): Promise<StatsAnswer> {
    return this.store.stats(query);
  }

  setPinned(runId: string, pinned: boolean): ReturnType<RunStore['setPinned']> {
    return this.store.setPinned(runId, pinned);
  }

  async maintain(job: MaintenanceJob, request: JobRequest): Promise<JobReport> {
    // Loaded on use: the scheduler's and logger's imports are not needed by the query commands.
    const { Maintenance } = await import('../../maintenance/index.js');
    const { createLogger } = await import('../../telemetry/index.js');
    const logger = createLogger({ level: process.env.PARACLE_LOG_LEVEL ?? 'warn' });
    const maintenance = new Maintenance({ store: this.store, policy: await this.policy(), logger });
    return maintenance.run(job, request);
  }

  async close(): Promise<void> {
    this.store.catalog.close();
  }
}

