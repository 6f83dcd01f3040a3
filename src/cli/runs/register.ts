import type { Command } from 'commander';
import type { RunsFlags } from './options.js';

/**
 * A command's action whose module loads only when the command runs: `paracle --help` or
 * `runs list` never load what the other commands need (the store's writers, tar, the price book).
 */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => unknown>): (...args: A) => Promise<void> {
  return async (...args) => {
    await (await load())(...args);
  };
}

/** A `runs` subcommand with the options every one of them takes (INTERFACE.md §1). */
function runsCommand(parent: Command, spec: string, description: string): Command {
  return parent
    .command(spec)
    .description(description)
    .option('--json', 'print machine-readable JSON')
    .option('--runs-dir <dir>', 'read the store directly (no daemon needed)')
    .option('--server <url>', 'ask a running daemon instead (env PARACLE_SERVER)')
    .option('--token-file <file>', 'read the bearer token for --server from this file')
    .option('--token <token>', 'bearer token for --server; visible to other users in the process list, prefer --token-file or env PARACLE_TOKEN')
    .option('--config <file>', 'config file naming the runs dir (default .parac/project.yaml if present)')
    .option('--verbose', 'print stack traces with errors');
}

function searchOptions(command: Command): Command {
  return command
    .option('--agent <id>', 'agent runs of this agent_id')
    .option('--workflow <id>', 'workflow runs of this workflow_id')
    .option('--status <status>', 'pending, running, completed or failed')
    .option('--since <dur|iso>', 'started at or after: 30s, 15m, 12h, 7d, 2w or an ISO-8601 time')
    .option('--until <dur|iso>', 'started at or before: a duration ago or an ISO-8601 time')
    .option('--model <model>', 'runs of this model')
    .option('--session <id>', 'runs of this session_id (conversation or thread)')
    .option('--text <str>', 'case-insensitive substring of the input, output or names');
}

/** Adds the query commands (list, search, get, ...) to the `paracle runs` group. */
export function registerRunsCommands(runs: Command): void {
  runsCommand(runs, 'list', 'the newest runs')
    .option('--limit <n>', 'how many (default 20)')
    .option('--kind <kind>', 'agent or workflow')
    .action(lazy(async () => (await import('./list.js')).searchCommand));
  searchOptions(runsCommand(runs, 'search', 'runs matching every filter given'))
    .option('--limit <n>', 'how many (default 20)')
    .option('--kind <kind>', 'agent or workflow')
    .action(lazy(async () => (await import('./list.js')).searchCommand));
  runsCommand(runs, 'get <run_id>', 'metadata and files of one run').action(lazy(async () => (await import('./list.js')).getCommand));
  runsCommand(runs, 'artifacts <run_id>', 'list, extract or print the artifacts of a run')
    .option('--extract <dir>', 'write every artifact into this folder')
    .option('--cat <path>', 'print one artifact')
    .action(lazy(async () => (await import('./artifacts.js')).artifactsCommand));
  runsCommand(runs, 'diff <run_a> [run_b]', 'two runs side by side; with one id, a replay against the run it replays')
    .action(lazy(async () => (await import('./diff.js')).diffCommand));
  runsCommand(runs, 'replay [run_id]', 'run a run again through its configured command; with filters instead of an id, a batch')
    .option('--model <model>', 'the model the replay should use (PARACLE_MODEL)')
    .option('--wait', 'follow the replay to its end and print the comparison (exit 4 if it failed)')
    .option('--timeout <dur>', "replaces the command's configured timeout_s: 90s, 15m, 2h")
    .option('--agent <id>', 'batch: replay runs of this agent_id')
    .option('--workflow <id>', 'batch: replay runs of this workflow_id')
    .option('--status <status>', 'batch: only originals with this status (default: completed and failed)')
    .option('--since <dur|iso>', 'batch: only originals started at or after')
    .option('--limit <n>', 'batch: at most this many originals, newest first (default: all)')
    .option('--concurrency <n>', 'batch: replays running at once (default 4)')
    .option('--include-replays', 'batch: also replay runs that are replays themselves')
    .action(lazy(async () => (await import('./replay.js')).replayCommand));
  runsCommand(runs, 'stats', 'counts, failures, tokens, cost and p50/p95 duration per group')
    .option('--by <dimension>', 'agent, workflow, model, status, project or session')
    .option('--since <dur|iso>', 'runs started at or after')
    .option('--until <dur|iso>', 'runs started at or before')
    .action(lazy(async () => (await import('./stats.js')).statsCommand));
  runsCommand(runs, 'export <run_id>', 're-send the stored trace to an OTLP/HTTP endpoint')
    .option('--otlp <url>', 'the endpoint, e.g. http://127.0.0.1:4318')
    .action(lazy(async () => (await import('./export.js')).exportCommand));
  runsCommand(runs, 'pin <run_id>', 'keep a run from retention').action(async (id: string, flags: RunsFlags) => (await import('./pin.js')).pinCommand(id, true, flags));
  runsCommand(runs, 'unpin <run_id>', 'let retention remove a run again').action(async (id: string, flags: RunsFlags) => (await import('./pin.js')).pinCommand(id, false, flags));
  runsCommand(runs, 'shred <run_id>', "destroy a run's data keys, then its files (live or archived): unreadable everywhere, copies included")
    .option('--yes', 'do not ask (required when not on a terminal)')
    .addHelpText(
      'after',
      '\nOn a runs dir this refuses while a daemon serves it: give --server then (admin token).\nIn a plaintext store the files are only deleted. Recorded in the audit trail.',
    )
    .action(lazy(async () => (await import('./shred.js')).shredCommand));
  runsCommand(runs, 'cleanup', 'apply retention now: archive or delete runs past the policy, expire old archives')
    .option('--older-than <dur>', 'runs started longer ago than this leave (default: runs.retention_days)')
    .option('--dry-run', 'print what would be done, change nothing')
    .action(lazy(async () => (await import('./cleanup.js')).cleanupCommand));
  runsCommand(runs, 'reindex', 'rebuild the run index from the run directories').action(lazy(async () => (await import('./reindex.js')).reindexCommand));
  runs
    .command('reprice')
    .description("recompute estimated costs of stored runs with today's price book")
    .option('--since <dur>', 'only runs started since then: 7d (s, m, h, d, w) or an ISO-8601 time')
    .option('--dry-run', 'report what would change, write nothing')
    .option('--runs-dir <dir>', 'the run store to read (default: the configured runs dir)')
    .option('--json', 'print machine-readable JSON')
    .action(lazy(async () => (await import('./reprice.js')).repriceCommand));
}
