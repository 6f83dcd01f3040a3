import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, formatHostPort, InvalidInputError, localAddressOf, parseHostPort, parseTimeBound } from '../../lib/index.js';
import type { ParacleConfig } from '../../config/index.js';
import type { RunsPolicy } from '../../maintenance/index.js';
import { HttpSource } from './http-source.js';
import { LocalSource, openLocalStore } from './local-source.js';
import type { RunsSource } from './source.js';

/** The options every `runs` command takes. */
export interface RunsFlags {
  json?: boolean;
  runsDir?: string;
  server?: string;
  token?: string;
  tokenFile?: string;
  config?: string;
}

/**
 * Where answers come from: `--runs-dir` (direct) > `--server` > `PARACLE_SERVER` > the
 * configured runs dir (`PARACLE_RUNS_DIR`, then the config file's `runs.dir`), as for `serve`.
 */
export async function openSource(flags: RunsFlags, env: NodeJS.ProcessEnv): Promise<RunsSource> {
  if (flags.runsDir !== undefined && flags.server !== undefined) {
    throw new InvalidInputError('give either --runs-dir or --server, not both');
  }
  const policy = async (): Promise<RunsPolicy> => (await configured(flags, env)).runs;
  if (flags.runsDir !== undefined) return new LocalSource(await openLocalStore(resolve(flags.runsDir), await configured(flags, env), env), policy);
  const server = flags.server ?? env.PARACLE_SERVER;
  if (server) return new HttpSource(server, await tokenFor(flags, env));
  return new LocalSource(await openLocalStore(await configuredRunsDir(flags, env), await configured(flags, env), env), policy);
}

/**
 * The daemon `runs replay` asks (INTERFACE.md §1: a replay is always carried out by a
 * daemon): `--server` > `PARACLE_SERVER` > the `--http` address `paracle serve` would use
 * (`PARACLE_HTTP`, then the config file's `daemon.http`). Never a runs dir.
 */
export async function openDaemon(flags: RunsFlags, env: NodeJS.ProcessEnv): Promise<HttpSource> {
  if (flags.runsDir !== undefined) {
    throw new InvalidInputError('runs replay is carried out by a daemon: give --server (or nothing, for the configured daemon.http), not --runs-dir');
  }
  const token = await tokenFor(flags, env);
  const server = flags.server ?? env.PARACLE_SERVER;
  if (server) return new HttpSource(server, token);
  const http = env.PARACLE_HTTP ?? (await configured(flags, env)).daemon.http;
  const address = localAddressOf(parseHostPort(http));
  if (address.port === 0) throw new InvalidInputError(`the daemon's configured HTTP address ${http} names no port: give --server`);
  return new HttpSource(`http://${formatHostPort(address)}`, token);
}

/** The bearer token for `--server`: the first of `--token`, `--token-file`, `PARACLE_TOKEN`. */
export async function tokenFor(flags: RunsFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (flags.token !== undefined) return flags.token;
  if (flags.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.tokenFile, 'utf8');
    } catch (err) {
      throw new InvalidInputError(`cannot read --token-file ${flags.tokenFile} (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`);
    }
    const token = text.trim();
    if (token === '') throw new InvalidInputError(`--token-file ${flags.tokenFile} is empty`);
    return token;
  }
  return env.PARACLE_TOKEN || undefined;
}

/** The runs dir `paracle serve` would use with the same environment and config. */
export async function configuredRunsDir(flags: RunsFlags, env: NodeJS.ProcessEnv): Promise<string> {
  if (flags.runsDir !== undefined) return resolve(flags.runsDir);
  if (env.PARACLE_RUNS_DIR) return resolve(env.PARACLE_RUNS_DIR);
  return resolve((await configured(flags, env)).runs.dir);
}

/** The config `paracle serve` would load with the same flags and environment. */
export async function configured(flags: RunsFlags, env: NodeJS.ProcessEnv): Promise<ParacleConfig> {
  // Loaded on use: the config schema is the slowest import of a `runs` command.
  const { configFileFor } = await import('../settings.js');
  const { defaultConfig, loadConfigFile } = await import('../../config/index.js');
  const file = configFileFor(flags.config, env);
  return file ? loadConfigFile(file) : defaultConfig();
}

/** Runs `body` with the source the flags name, closing it afterwards. */
export async function withSource<T>(flags: RunsFlags, body: (source: RunsSource) => Promise<T>): Promise<T> {
  const source = await openSource(flags, process.env);
  try {
    return await body(source);
  } finally {
    await source.close();
  }
}

/** A `--since`/`--until` value as epoch ms; undefined when not given. */
export function timeFlag(value: string | undefined, flag: string, nowMs: number): number | undefined {
  return value === undefined ? undefined : parseTimeBound(value, nowMs, flag);
}

/** A `--limit` value; commander hands it over as text. */
export function limitFlag(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new InvalidInputError(`--limit "${value}" is not a whole number`);
  return Number(value);
}

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
