#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, classifyError, describeError, packageVersion } from '../lib/index.js';
import { registerRunsCommands } from './runs/index.js';
import type { AuditFlags } from './audit.js';
import type { ServeFlags } from './settings.js';
import type { KeysFlags } from './keys.js';
import type { StoreMigrateFlags } from './store.js';
import type { TokenFlags } from './token.js';

function program(): Command {
  const root = new Command('paracle')
    .description('Keeps the history of AI-agent runs.')
    .version(packageVersion(), '--version', 'print the version')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .showHelpAfterError();
  root
    .command('serve')
    .description('run the daemon: OTLP receivers, run store, metrics and API')
    .option('--config <file>', 'config file (default .parac/project.yaml if present)')
    .option('--runs-dir <dir>', 'where run directories are written (default .parac/runs)')
    .option('--otlp-http <host:port>', 'OTLP/HTTP listen address (default 127.0.0.1:4318)')
    .option('--otlp-grpc <host:port>', 'OTLP/gRPC listen address (default 127.0.0.1:4317)')
    .option('--http <host:port>', 'metrics, health and API listen address (default 127.0.0.1:9464)')
    // Loaded on use: the daemon's modules would slow every other command's start .
    .action(async (flags: ServeFlags) => (await import('./serve.js')).serveCommand(flags));
  const runs = root.command('runs').description('query and maintain stored runs');
  registerRunsCommands(runs);
  const config = root.command('config').description('configuration tools');
  config
    .command('check [file]')
    .description('validate a config file and print every problem with its path')
    .option('--json', 'print machine-readable JSON')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      process.exitCode = await (await import('./config-check.js')).configCheckCommand(file, options);
    });
  config
    .command('schema')
    .description("print the config file's JSON Schema (for editors' YAML validation)")
    .action(async () => {
      const { configJsonSchema } = await import('../config/index.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
  const token = root.command('token').description('access tokens');
  token
    .command('new')
    .description('make a random token: prints it once, and the access.tokens entry with its SHA-256')
    .requiredOption('--name <name>', 'the token\'s name (the actor in the audit trail)')
    .requiredOption('--role <role>', 'viewer, analyst, operator, admin or ingest')
    .option('--agents <glob>', 'only runs of agents matching (repeat, or separate with commas; * and ? wildcards)', collect)
    .option('--workflows <glob>', 'only runs of workflows matching (repeat, or separate with commas)', collect)
    .option('--json', 'print machine-readable JSON')
    .action(async (flags: TokenFlags) => (await import('./token.js')).tokenNewCommand(flags));
  const audit = root.command('audit').description('the hash-chained audit trail in <runs dir>/.audit');
  const auditOptions = (command: Command): Command => storeOptions(command, 'the runs dir');
  auditOptions(audit.command('list').description('who did what, oldest first'))
    .option('--since <dur|iso>', 'lines at or after: 30s, 15m, 12h, 7d, 2w or an ISO-8601 time')
    .option('--actor <name>', 'lines of this actor (a token name, anonymous, unknown, local:<user>)')
    .option('--run <run_id>', 'lines about this run')
    .action(async (flags: AuditFlags) => (await import('./audit.js')).auditListCommand(flags));
  auditOptions(audit.command('verify').description('check the chain: exit 1 naming the first edited, inserted or removed line')).action(
    async (flags: AuditFlags) => {
      process.exitCode = await (await import('./audit.js')).auditVerifyCommand(flags);
    },
  );
  const keys = root.command('keys').description('encryption at rest: the master key and the data keys it wraps (<runs dir>/.keys)');
  const keysOptions = (command: Command): Command => storeOptions(command, 'the runs dir and privacy.encryption');
  keysOptions(keys.command('rotate').description('re-wrap every data key from the configured master key to a new one (no file content is rewritten)'))
    .option('--new-key-env <name>', 'the environment variable holding the new master key (32 bytes, hex or base64)')
    .option('--new-key-file <path>', 'a file holding the new master key')
    .addHelpText(
      'after',
      '\nRefuses while a daemon serves the runs dir. Interrupted (a crash, kill -9), run it again with the\nsame two keys: it finishes. Then point privacy.encryption.key_env / key_file at the new key.',
    )
    .action(async (flags: KeysFlags) => (await import('./keys.js')).keysRotateCommand(flags));
  keysOptions(keys.command('check').description('read every file of the store with the configured key: exit 1 naming each one that does not open')).action(
    async (flags: KeysFlags) => {
      process.exitCode = await (await import('./keys.js')).keysCheckCommand(flags);
    },
  );
  keysOptions(keys.command('encrypt-store').description('encrypt a plaintext store in place with the key privacy.encryption names'))
    .addHelpText(
      'after',
      '\nRefuses while a daemon serves the runs dir. Every run file, archive and log segment is rewritten\nsealed, one at a time; the index is rebuilt at the next open. Interrupted, run it again: it\nfinishes (paracle refuses the store until then). Then set privacy.encryption.enabled: true.',
    )
    .action(async (flags: KeysFlags) => (await import('./keys.js')).keysConvertCommand('encrypted', flags));
  keysOptions(keys.command('decrypt-store').description('decrypt an encrypted store in place (the key privacy.encryption names), then drop its keys'))
    .addHelpText(
      'after',
      '\nRefuses while a daemon serves the runs dir. Interrupted, run it again: it finishes. Then set\nprivacy.encryption.enabled: false.',
    )
    .action(async (flags: KeysFlags) => (await import('./keys.js')).keysConvertCommand('plaintext', flags));
  const store = root.command('store').description('the run store itself: moving it between backends');
  storeOptions(store.command('migrate').description('copy every run, archive and data key between the local runs dir and the shared backend (runs.s3, runs.postgres), then verify the copy'), 'the runs dir, runs.s3, runs.postgres and privacy.encryption')
    .addOption(new Option('--to <backend>', 'shared: from the runs dir to S3 + PostgreSQL; local: back into the runs dir').choices(['shared', 'local']).makeOptionMandatory())
    .addHelpText(
      'after',
      '\nStored bytes are copied as they are (encrypted, compressed), then every file is compared by SHA-256 and\nevery run looked up in the index: exit 1 naming each difference. The source is left as it was. Refuses while\na daemon serves the runs dir. Interrupted, run it again: it copies what is not there yet and verifies.\nThen set runs.backend (docs/scale-out.md).',
    )
    .action(async (flags: StoreMigrateFlags) => {
      process.exitCode = await (await import('./store.js')).storeMigrateCommand(flags);
    });
  return root;
}

/** The options of a command working on a runs dir itself; `configNames`: what its config file gives it. */
function storeOptions(command: Command, configNames: string): Command {
  return command
    .option('--runs-dir <dir>', 'the run store (default: the configured runs dir)')
    .option('--config <file>', `config file naming ${configNames} (default .parac/project.yaml if present)`)
    .option('--json', 'print machine-readable JSON');
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? ExitCode.ok : ExitCode.usage);
    }
    // Exit codes come from the error catalogue's rows (lib/errors.ts), like every status code.
    const { message, exit } = classifyError(err);
    process.stderr.write(`paracle: ${(message ?? describeError(err)).replace(/\.?$/, '.')}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exit(exit);
  }
}

void main(process.argv);
