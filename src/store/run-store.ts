import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../lib/index.js';
import type { StorePlace } from '../model/index.js';
import type { RunCatalog, RunPage } from './catalog/catalog.js';
import { checkRunQuery, type RunQuery } from './catalog/query.js';
import { checkDimension, computeStats, kindOfDimension, type StatsGroup } from './catalog/stats.js';
import { parseMetadata } from './metadata.js';
import { setPinned } from './pin.js';
import { checkRelativePath, stepFolder, type RunFileEntry } from './run-files.js';
import { createReplayRun, type ReplayRunWrite } from './replay-run.js';
import { openStoredRun } from './stored-run.js';
import type { RunRef } from './writer.js';

/** `GET /api/v1/runs/{id}` and `runs get --json`: the metadata, `pinned`, where it is and its files. */
export type RunDetail = Record<string, unknown> & { pinned: boolean; place: StorePlace; files: RunFileEntry[] };

/** The run files readable by name (INTERFACE.md §4 `/input`, `/output`, `/trace`, `/logs`). */
export type RunFileKey = 'input' | 'output' | 'trace' | 'logs';

const FILE_NAMES: Readonly<Record<RunFileKey, string>> = {
  input: 'input.json',
  output: 'output.json',
  trace: 'trace.json',
  logs: 'logs.txt',
};

/** Stats filters: a time window and, for `--by agent|workflow`, the matching kind. */
export interface StatsQuery {
  by?: string;
  sinceMs?: number;
  untilMs?: number;
}

/**
 * Read and pin access to one runs dir, answering from the index where it can and from the
 * run directories otherwise. The API and the CLI's `--runs-dir` mode both use it, so both
 * give the same answers. Ids and paths from users are checked before any file is touched.
 */
export class RunStore {
  constructor(
    readonly runsDir: string,
    readonly catalog: RunCatalog,
  ) {}

  /** One page of runs matching `query`, newest first. Throws {@link InvalidInputError} for a bad query. */
  list(query: RunQuery): RunPage {
    return this.catalog.query(checkRunQuery(query));
  }

  /** One run's metadata (read from disk, live or archived), pin state, place and files. */
  async get(runId: string): Promise<RunDetail> {
    const run = await openStoredRun(this.runsDir, runId);
    const [text, pinned, files] = await Promise.all([run.metadataText(), run.pinned(), run.list('')]);
    return { ...parseMetadata(text), pinned, place: run.place, files };
  }

  /** The files in a run's (or one step's) `artifacts/`. */
  async artifacts(runId: string, stepId?: string): Promise<RunFileEntry[]> {
    const run = await openStoredRun(this.runsDir, runId);
    return run.list(joinRelative(stepFolder(run, stepId), 'artifacts'));
  }

  /**
   * Streams one artifact (inflated when stored compressed), refusing traversal;
   * {@link NotFoundError} when absent.
   */
  async openArtifact(runId: string, path: string, stepId?: string): Promise<Readable> {
    const run = await openStoredRun(this.runsDir, runId);
    checkRelativePath(path, 'artifact path');
    return run.open(joinRelative(joinRelative(stepFolder(run, stepId), 'artifacts'), path));
  }

  /** Streams a run's (or step's) input, output, trace or logs file. */
  async openFile(runId: string, key: RunFileKey, stepId?: string): Promise<Readable> {
    if (stepId !== undefined && key !== 'input' && key !== 'output') {
      throw new NotFoundError(`steps have no ${key}`);
    }
    const run = await openStoredRun(this.runsDir, runId);
    return run.open(joinRelative(stepFolder(run, stepId), FILE_NAMES[key]));
  }

  /** Counts, failures, tokens, cost and duration percentiles per group. */
  stats(query: StatsQuery): { by: string | null; groups: StatsGroup[] } {
    const by = query.by === undefined ? undefined : checkDimension(query.by);
    const rows = this.catalog.statsRows({ kind: kindOfDimension(by), sinceMs: query.sinceMs, untilMs: query.untilMs });
    return { by: by ?? null, groups: computeStats(rows, by) };
  }

  /**
   * Pins or unpins a run (a pinned run is never removed by retention). {@link ConflictError}
   * for an archived run: it has already left the live store.
   */
  async setPinned(runId: string, pinned: boolean): Promise<{ run_id: string; pinned: boolean }> {
    const run = await openStoredRun(this.runsDir, runId);
    if (run.place === 'archive') throw new ConflictError(`run ${runId} is archived; only live runs can be pinned`);
    const location: RunRef = { kind: run.kind, runId };
    await setPinned(this.runsDir, location, pinned);
    this.catalog.markPinned(runId, pinned);
    return { run_id: runId, pinned };
  }

  /**
   * Creates the `pending` run of a replay ({@link createReplayRun}), indexed at once, so list
   * and search show it as soon as the replay is asked for.
   */
  createReplay(write: ReplayRunWrite): Promise<void> {
    return createReplayRun(this.runsDir, this.catalog, write);
  }
}

function joinRelative(folder: string, path: string): string {
  return folder === '' ? path : `${folder}/${path}`;
}
