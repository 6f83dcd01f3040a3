import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { openFile, RunCatalog, RunStore, type RunQuery, type StatsQuery } from '../../store/index.js';
import type { RunFileKey } from '../../store/index.js';
import type { RunsSource, RunsPage, StatsAnswer } from './source.js';

/** Opens the index of `runsDir` (rebuilding it if need be, with a line on stderr). */
export async function openLocalStore(runsDir: string): Promise<RunStore> {
  const catalog = await RunCatalog.open(runsDir, (message) => process.stderr.write(`paracle: ${message}\n`));
  return new RunStore(runsDir, catalog);
}

/** Answers from a runs dir and its index, without a daemon. */
export class LocalSource implements RunsSource {
  constructor(private readonly store: RunStore) {}

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

  async readArtifact(runId: string, path: string): Promise<Readable> {
    return openFile(await this.store.artifactPath(runId, path));
  }

  async readFile(runId: string, key: RunFileKey): Promise<Buffer> {
    return readFile(await this.store.filePath(runId, key));
  }

  async stats(query: StatsQuery): Promise<StatsAnswer> {
    return this.store.stats(query);
  }

  setPinned(runId: string, pinned: boolean): ReturnType<RunStore['setPinned']> {
    return this.store.setPinned(runId, pinned);
  }

  async close(): Promise<void> {
    this.store.catalog.close();
  }
}
