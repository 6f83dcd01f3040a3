import { InvalidInputError } from '../../lib/index.js';
import { closeLocalStore, openLocalStore } from './local-source.js';
import { configured, configuredRunsDir, printJson, type RunsFlags } from './options.js';

/** `paracle runs reindex`: rebuilds the runs dir's index from its run directories (on the shared backend: resyncs it from PostgreSQL). */
export async function reindexCommand(flags: RunsFlags): Promise<void> {
  if (flags.server !== undefined) throw new InvalidInputError('reindex works on a runs dir: use --runs-dir, not --server');
  const store = await openLocalStore(await configuredRunsDir(flags, process.env), await configured(flags, process.env), process.env);
  try {
    const runs = await store.catalog.rebuild('asked');
    if (flags.json) printJson({ runs_dir: store.runsDir, runs });
    else process.stdout.write(`indexed ${runs} run(s) in ${store.runsDir}\n`);
  } finally {
    await closeLocalStore(store);
  }
}
