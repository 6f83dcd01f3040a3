#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode, classifyError, describeError, packageVersion } from '../lib/index.js';
import { registerRunsCommands } from './runs/index.js';
import type { ServeFlags } from './settings.js';

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
  return root;
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
