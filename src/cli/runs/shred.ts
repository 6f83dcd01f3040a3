import { createInterface } from 'node:readline/promises';
import { InvalidInputError } from '../../lib/index.js';
import { printJson, withSource, type RunsFlags } from './options.js';

/** The flags of `paracle runs shred`. */
export interface ShredFlags extends RunsFlags {
  yes?: boolean;
}

/**
 * `paracle runs shred RUN_ID`: destroys the run's data keys, then its files and index entry
 * (INTERFACE.md §8). Asks first on a terminal; anywhere else `--yes` is required. On a runs
 * dir it refuses while a daemon serves it (use `--server` then).
 */
export async function shredCommand(runId: string, flags: ShredFlags): Promise<void> {
  if (!flags.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) throw new InvalidInputError('runs shred destroys the run for good: confirm with --yes');
    if (!(await confirm(`Shred run ${runId}? Its content becomes unreadable everywhere, backups included. Type "yes": `))) {
      throw new InvalidInputError(`run ${runId} not shredded`);
    }
  }
  const result = await withSource(flags, (source) => source.shred(runId));
  if (flags.json) printJson(result);
  else process.stdout.write(`shredded ${result.run_id} (${result.place}; ${result.keys_destroyed.length} data key(s) destroyed)\n`);
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}
