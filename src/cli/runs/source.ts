import type { Readable } from 'node:stream';
import type { MaintenanceRequest } from '../../api/index.js';
import type { JobReport } from '../../maintenance/index.js';
import type { MaintenanceJob } from '../../model/index.js';
import type { RunDetail, RunFileEntry, RunFileKey, RunQuery, ShredResult, StatsGroup, StatsQuery } from '../../store/index.js';

/** A page of runs as the API returns it. */
export interface RunsPage {
  runs: Record<string, unknown>[];
  next_cursor: string | null;
}

/** Stats as the API returns them. */
export interface StatsAnswer {
  by: string | null;
  groups: StatsGroup[];
}

/**
 * Where `paracle runs` gets its answers: the runs dir directly or a daemon's API. Both give
 * the same shapes, so every command prints the same whichever is used.
 */
export interface RunsSource {
  list(query: RunQuery): Promise<RunsPage>;
  get(runId: string): Promise<RunDetail>;
  artifacts(runId: string): Promise<RunFileEntry[]>;
  readArtifact(runId: string, path: string): Promise<Readable>;
  readFile(runId: string, key: RunFileKey): Promise<Buffer>;
  stats(query: StatsQuery): Promise<StatsAnswer>;
  setPinned(runId: string, pinned: boolean): Promise<{ run_id: string; pinned: boolean }>;
  /** Crypto-shreds a run, live or archived (INTERFACE.md §8); audited. */
  shred(runId: string): Promise<ShredResult>;
  /** Runs a maintenance job now; `onProgress` is only honoured on a runs dir. */
  maintain(job: MaintenanceJob, request: MaintenanceRequest & { onProgress?: (done: number, total: number) => void }): Promise<JobReport>;
  close(): Promise<void>;
}
