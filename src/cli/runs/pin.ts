import { InvalidInputError } from '../../lib/index.js';
import { configuredRunsDir, printJson, withSource, type RunsFlags } from './options.js';
import { openLocalStore } from './local-source.js';

/** `paracle runs pin RUN_ID` / `unpin`: a pinned run is never removed by retention. */
export async function pinCommand(runId: string, pinned: boolean, flags: RunsFlags): Promise<void> {
  const result = await withSource(flags, (source) => source.setPinned(runId, pinned));
  if (flags.json) printJson(result);
  else process.stdout.write(`${pinned ? 'pinned' : 'unpinned'} ${runId}\n`);
}

/** `paracle runs reindex`: rebuilds the runs dir's index from its run directories. */
export async function reindexCommand(flags: RunsFlags): Promise<void> {
  if (flags.server !== undefined) throw new InvalidInputError('reindex works on a runs dir: use --runs-dir, not --server');
  const store = await openLocalStore(await configuredRunsDir(flags, process.env));
  try {
    const runs = await store.catalog.rebuild('asked');
    if (flags.json) printJson({ runs_dir: store.runsDir, runs });
    else process.stdout.write(`indexed ${runs} run(s) in ${store.runsDir}\n`);
  } finally {
    store.catalog.close();
  }
}
