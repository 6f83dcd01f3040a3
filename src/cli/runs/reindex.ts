import { InvalidInputError } from '../../lib/index.js';
import { openLocalStore } from './local-source.js';
import { configured, configuredRunsDir, printJson, type RunsFlags } from './options.js';

/** `paracle runs reindex`: rebuilds the runs dir's index from its run directories. */
export async function reindexCommand(flags: RunsFlags): Promise<void> {
  if (flags.server !== undefined) throw new InvalidInputError('reindex works on a runs dir: use --runs-dir, not --server');
  const store = await openLocalStore(await configuredRunsDir(flags, process.env), (await configured(flags, process.env)).privacy.encryption, process.env);
  try {
    const runs = await store.catalog.rebuild('asked');
    if (flags.json) printJson({ runs_dir: store.runsDir, runs });
    else process.stdout.write(`indexed ${runs} run(s) in ${store.runsDir}\n`);
  } finally {
    store.catalog.close();
  }
}
