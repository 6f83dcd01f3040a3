import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConfig, loadConfigFile, type ParacleConfig } from '../config/index.js';
import { parseHostPort } from '../lib/index.js';
import type { ServeSettings } from '../service/index.js';

/** The `serve` flags as commander hands them over (undefined when not given). */
export interface ServeFlags {
  config?: string;
  runsDir?: string;
  otlpHttp?: string;
  otlpGrpc?: string;
  http?: string;
}

/** The project file looked for when neither `--config` nor `PARACLE_CONFIG` is given. */
export const DEFAULT_CONFIG_FILE = '.parac/project.yaml';

/**
 * Which config file applies: `--config` > `PARACLE_CONFIG` > `.parac/project.yaml` when it
 * exists > none (built-in defaults).
 */
export function configFileFor(flag: string | undefined, env: NodeJS.ProcessEnv): string | null {
  const chosen = flag ?? env.PARACLE_CONFIG;
  if (chosen) return chosen;
  return existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null;
}

/**
 * Resolves what `paracle serve` runs with. Each value: flag > `PARACLE_<FLAG>` env > config
 * file > built-in default. Relative paths are taken from the working directory.
 */
export async function resolveServeSettings(flags: ServeFlags, env: NodeJS.ProcessEnv): Promise<ServeSettings> {
  const file = configFileFor(flags.config, env);
  const config: ParacleConfig = file ? await loadConfigFile(file) : defaultConfig();
  const pick = (flag: string | undefined, envName: string, fromConfig: string): string =>
    flag ?? env[envName] ?? fromConfig;
  return {
    config,
    configFile: file === null ? null : resolve(file),
    runsDir: resolve(pick(flags.runsDir, 'PARACLE_RUNS_DIR', config.runs.dir)),
    otlpHttp: parseHostPort(pick(flags.otlpHttp, 'PARACLE_OTLP_HTTP', config.daemon.otlp_http)),
    otlpGrpc: parseHostPort(pick(flags.otlpGrpc, 'PARACLE_OTLP_GRPC', config.daemon.otlp_grpc)),
    http: parseHostPort(pick(flags.http, 'PARACLE_HTTP', config.daemon.http)),
  };
}
