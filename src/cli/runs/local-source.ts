import type { Readable } from 'node:stream';
import { recordLocalAction, type AuditLog } from '../../audit/index.js';
import { ParacleError } from '../../lib/index.js';
import { buffer } from 'node:stream/consumers';
import { storeMasterKey } from '../../crypt/index.js';
import type { ParacleConfig } from '../../config/index.js';
import { openSharedStore, openStoreEncryption, RunCatalog, RunStore, sharedStoreOf, shredStoredRun, takeChangeLock, useSharedStore, type RunQuery, type ShredResult, type StatsQuery } from '../../store/index.js';
import type { RunFileKey } from '../../store/index.js';
import type { JobReport, JobRequest, RunsPolicy } from '../../maintenance/index.js';
import type { MaintenanceJob } from '../../model/index.js';
import type { RunsSource, RunsPage, StatsAnswer } from './source.js';

/**
 * Opens the store at `runsDir` as the configuration says (encrypted with its key, or
 * plaintext; a mismatch or a missing key is one sentence, exit 1), then its index
 * (rebuilding it if need be, with a line on stderr). With `runs.backend: shared` the store
 * is the shared backend, registered for `runsDir`, and the index there a mirror of its
 * PostgreSQL index (caught up on open), as a daemon's is; {@link closeLocalStore} lets go
 * of both.
 */
export async function openLocalStore(runsDir: string, config: ParacleConfig, env: NodeJS.ProcessEnv): Promise<RunStore> {
  openStoreEncryption(runsDir, storeMasterKey(config.privacy.encryption, env));
  const log = (message: string): void => void process.stderr.write(`paracle: ${message}\n`);
  if (config.runs.backend !== 'shared') return new RunStore(runsDir, await RunCatalog.open(runsDir, log));
  // Loaded here, not at the top: `--server` commands never need the config schema.
  const { sharedBackendSettings } = await import('../../config/index.js');
  // The schema refuses backend shared without a bucket and a URL.
  const settings = sharedBackendSettings(config)!;
  const shared = await openSharedStore(settings);
  useSharedStore(runsDir, shared);
  try {
    return new RunStore(runsDir, await RunCatalog.open(runsDir, log, shared.index));
  } catch (err) {
    useSharedStore(runsDir, null);
    await shared.close();
    throw err;
  }
}

/** Closes what {@link openLocalStore} opened. */
export async function closeLocalStore(store: RunStore): Promise<void> {
  store.catalog.close();
  const shared = sharedStoreOf(store.runsDir);
  if (shared === null) return;
  useSharedStore(store.runsDir, null);
  await shared.close();
}

const READ_ONLY = ['EACCES', 'EROFS', 'EPERM'];
const auditLog: AuditLog = (_level, message, fields) => process.stderr.write(`paracle: ${message} ${JSON.stringify(fields)}\n`);

/** Answers from a runs dir and its index, without a daemon; reads of content and changes are audited. */
export class LocalSource implements RunsSource {
  private warned = false;

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
    return this.audited('run.read.artifact', runId, () => this.store.openArtifact(runId, path));
  }

  async readFile(runId: string, key: RunFileKey): Promise<Buffer> {
    return buffer(await this.audited(`run.read.${key}`, runId, () => this.store.openFile(runId, key)));
  }

  async stats(query: StatsQuery): Promise<StatsAnswer> {
    return this.store.stats(query);
  }

  setPinned(runId: string, pinned: boolean): ReturnType<RunStore['setPinned']> {
    return this.audited(pinned ? 'run.pin' : 'run.unpin', runId, () => this.store.setPinned(runId, pinned));
  }

  /** Refuses (ConflictError) while a daemon serves the runs dir: shred through it then. */
  shred(runId: string): Promise<ShredResult> {
    const lock = takeChangeLock(this.store.runsDir, 'paracle runs shred');
    return this.audited('run.shred', runId, () => shredStoredRun(this.store, runId)).finally(() => lock.release());
  }

  async maintain(job: MaintenanceJob, request: JobRequest): Promise<JobReport> {
    // Loaded on use: the scheduler's and logger's imports are not needed by the query commands.
    const { Maintenance } = await import('../../maintenance/index.js');
    const { createLogger } = await import('../../telemetry/index.js');
    const logger = createLogger({ level: process.env.PARACLE_LOG_LEVEL ?? 'warn' });
    const maintenance = new Maintenance({ store: this.store, policy: await this.policy(), logger });
    return this.audited(`maintenance.${job}`, undefined, () => maintenance.run(job, request));
  }

  /**
   * Runs `action` and records it in the audit trail as `local:<OS user>` before handing its
   * result over (INTERFACE.md §9). A runs dir this user cannot write (a read-only copy) is
   * read without a line, with a warning: nothing there can be changed either.
   */
  private async audited<T>(action: string, runId: string | undefined, body: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await body();
    } catch (err) {
      await this.record(action, runId, err instanceof ParacleError ? err.code : 'internal').catch(() => undefined);
      throw err;
    }
    try {
      await this.record(action, runId, 'ok');
    } catch (err) {
      (result as { destroy?: () => void }).destroy?.();
      throw err;
    }
    return result;
  }

  private async record(action: string, runId: string | undefined, outcome: string): Promise<void> {
    try {
      await recordLocalAction(this.store.runsDir, { action, outcome, ...(runId !== undefined ? { run_id: runId } : {}) }, auditLog);
    } catch (err) {
      if (!READ_ONLY.includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      if (!this.warned) process.stderr.write(`paracle: the runs dir is not writable: this command is not recorded in the audit trail\n`);
      this.warned = true;
    }
  }

  async close(): Promise<void> {
    await closeLocalStore(this.store);
  }
}

