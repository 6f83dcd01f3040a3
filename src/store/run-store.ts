import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../lib/index.js';
import type { RunCatalog, RunPage } from './catalog/catalog.js';
import { checkRunQuery, type RunQuery } from './catalog/query.js';
import { checkDimension, computeStats, kindOfDimension, type StatsGroup } from './catalog/stats.js';
import { storeOp } from './errors.js';
import { parseMetadata } from './metadata.js';
import { isPinned, setPinned } from './pin.js';
import { listFiles, locateRun, resolveFileInside, runFolder, type RunFileEntry } from './run-files.js';
import type { RunLocation } from './writer.js';

/** `GET /api/v1/runs/{id}` and `runs get --json`: the metadata, `pinned` and the run's files. */
export type RunDetail = Record<string, unknown> & { pinned: boolean; files: RunFileEntry[] };

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

  /** One run's metadata (read from disk), pin state and files. */
  async get(runId: string): Promise<RunDetail> {
    const location = await locateRun(this.runsDir, runId);
    const dir = runFolder(this.runsDir, location);
    const text = await storeOp('read', dir, () => readFile(join(dir, 'metadata.yaml'), 'utf8'));
    const [pinned, files] = await Promise.all([isPinned(this.runsDir, location), listFiles(dir)]);
    return { ...parseMetadata(text), pinned, files };
  }

  /** The files in a run's (or one step's) `artifacts/`. */
  async artifacts(runId: string, stepId?: string): Promise<RunFileEntry[]> {
    const location = await locateRun(this.runsDir, runId);
    return listFiles(join(runFolder(this.runsDir, location, stepId), 'artifacts'));
  }

  /** The real path of one artifact, refusing traversal; {@link NotFoundError} when absent. */
  async artifactPath(runId: string, path: string, stepId?: string): Promise<string> {
    const location = await locateRun(this.runsDir, runId);
    return resolveFileInside(join(runFolder(this.runsDir, location, stepId), 'artifacts'), path, 'artifact path');
  }

  /** The path of a run's (or step's) input, output, trace or logs file. */
  async filePath(runId: string, key: RunFileKey, stepId?: string): Promise<string> {
    if (stepId !== undefined && key !== 'input' && key !== 'output') {
      throw new NotFoundError(`steps have no ${key}`);
    }
    const location = await locateRun(this.runsDir, runId);
    return resolveFileInside(runFolder(this.runsDir, location, stepId), FILE_NAMES[key], 'file');
  }

  /** Counts, failures, tokens, cost and duration percentiles per group. */
  stats(query: StatsQuery): { by: string | null; groups: StatsGroup[] } {
    const by = query.by === undefined ? undefined : checkDimension(query.by);
    const rows = this.catalog.statsRows({ kind: kindOfDimension(by), sinceMs: query.sinceMs, untilMs: query.untilMs });
    return { by: by ?? null, groups: computeStats(rows, by) };
  }

  /** Pins or unpins a run (a pinned run is never removed by retention). */
  async setPinned(runId: string, pinned: boolean): Promise<{ run_id: string; pinned: boolean }> {
    const location: RunLocation = await locateRun(this.runsDir, runId);
    await setPinned(this.runsDir, location, pinned);
    this.catalog.markPinned(runId, pinned);
    return { run_id: runId, pinned };
  }

  /** Where a run is, by id; see {@link locateRun}. */
  locate(runId: string): Promise<RunLocation> {
    return locateRun(this.runsDir, runId);
  }
}
