import { printJson, withSource, type RunsFlags } from './options.js';

/** `paracle runs pin RUN_ID` / `unpin`: a pinned run is never removed by retention. */
export async function pinCommand(runId: string, pinned: boolean, flags: RunsFlags): Promise<void> {
  const result = await withSource(flags, (source) => source.setPinned(runId, pinned));
  if (flags.json) printJson(result);
  else process.stdout.write(`${pinned ? 'pinned' : 'unpinned'} ${runId}\n`);
}
