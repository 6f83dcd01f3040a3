import type { Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '../lib/index.js';
import type { RunKind, SpanDetail, SpanPage, StatsGroup, StatsSeries, StorePlace } from '../model/index.js';
import type { RunCatalog, RunPage } from './catalog/catalog.js';
import { subjectOf } from './catalog/entry.js';
import { checkRunQuery, type RunQuery, type SubjectFilter } from './catalog/query.js';
import { computeSeries, defaultStepMs } from './catalog/series.js';
import { checkDimension, computeStats, kindOfDimension } from './catalog/stats.js';
import { parseMetadata } from './metadata.js';
import { setPinned, setSharedPinned } from './pin.js';
import { checkRelativePath, noSuchRun, stepFolder, type RunFileEntry } from './run-files.js';
import { sharedStoreOf } from './shared/shared-store.js';
import { createReplayRun, type ReplayRunWrite } from './replay-run.js';
import { TraceViews, type CallPricer } from './spans.js';
import { openStoredRun } from './stored-run.js';
import type { RunRef } from './writer.js';
import { shredRun, type ShredResult } from './shred.js';

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
  /** Only runs whose subject matches (a token's scope). */
  subjects?: SubjectFilter;
}

/** Stats over time: the filters of stats, a window (default: the last 7 days) and a step (default: a round one). */
export interface SeriesQuery extends StatsQuery {
  stepMs?: number;
}

const DEFAULT_SERIES_WINDOW_MS = 7 * 86_400_000;

/**
 * Read and pin access to one runs dir, answering from the index where it can and from the
 * run directories otherwise. The API and the CLI's `--runs-dir` mode both use it, so both
 * give the same answers. Ids and paths from users are checked before any file is touched.
 */
export class RunStore {
  private readonly traces = new TraceViews();

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

  /**
   * A run's kind and subject (agent_id / workflow_id, null when unknown), from the index or,
   * for a run it does not hold (archived, just written), its metadata.yaml. Throws like
   * {@link get} for a bad id or a missing run.
   */
  async subjectOf(runId: string): Promise<{ kind: RunKind; subject: string | null }> {
    const indexed = this.catalog.subjectOf(runId);
    if (indexed) return indexed;
    const run = await openStoredRun(this.runsDir, runId);
    return { kind: run.kind, subject: subjectOf(run.kind, parseMetadata(await run.metadataText())) };
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
    const rows = this.catalog.statsRows({ kind: kindOfDimension(by), sinceMs: query.sinceMs, untilMs: query.untilMs, subjects: query.subjects });
    return { by: by ?? null, groups: computeStats(rows, by) };
  }

  /**
   * Counts, failures, tokens, cost and duration percentiles per group and time bucket.
   * `nowMs` ends the window when `untilMs` is not given.
   */
  statsSeries(query: SeriesQuery, nowMs: number): StatsSeries {
    const { by: dimension, stepMs: step, ...filters } = query;
    const by = dimension === undefined ? undefined : checkDimension(dimension);
    const untilMs = filters.untilMs ?? nowMs;
    const sinceMs = filters.sinceMs ?? untilMs - DEFAULT_SERIES_WINDOW_MS;
    const stepMs = step ?? defaultStepMs(sinceMs, untilMs);
    const rows = this.catalog.statsRows({ ...filters, kind: kindOfDimension(by), sinceMs, untilMs });
    return computeSeries(rows, by, { sinceMs, untilMs, stepMs });
  }

  /**
   * One page of a run's spans in tree order, shaped for a waterfall (offsets from the
   * trace's start, depth, roles, errors, model calls); `price` estimates the cost of calls
   * that report none.
   */
  async spans(runId: string, page: { offset: number; limit: number }, price?: CallPricer): Promise<SpanPage> {
    return this.traces.page(await openStoredRun(this.runsDir, runId), page.offset, page.limit, price);
  }

  /** One span of a run with its attributes, resource, events and links. */
  async span(runId: string, spanId: string, price?: CallPricer): Promise<SpanDetail> {
    return this.traces.detail(await openStoredRun(this.runsDir, runId), spanId, price);
  }

  /**
   * Pins or unpins a run (a pinned run is never removed by retention). {@link ConflictError}
   * for an archived run: it has already left the live store.
   */
  async setPinned(runId: string, pinned: boolean): Promise<{ run_id: string; pinned: boolean }> {
    const run = await openStoredRun(this.runsDir, runId);
    if (run.place === 'archive') throw new ConflictError(`run ${runId} is archived; only live runs can be pinned`);
    const location: RunRef = { kind: run.kind, runId };
    const shared = sharedStoreOf(this.runsDir);
    if (shared) {
      const traceId = parseMetadata(await run.metadataText()).trace_id;
      // Gone from the shared index meanwhile (shredded, archived): as if never found.
      if (!(await setSharedPinned(this.runsDir, shared, location, typeof traceId === 'string' ? traceId : null, pinned))) throw noSuchRun(runId);
    } else await setPinned(this.runsDir, location, pinned);
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

/**
 * Crypto-shreds a run, live or archived (see {@link shredRun}).
 */
export function shredStoredRun(store: RunStore, runId: string): Promise<ShredResult> {
  return shredRun(store.runsDir, store.catalog, runId);
}

function joinRelative(folder: string, path: string): string {
  return folder === '' ? path : `${folder}/${path}`;
}
