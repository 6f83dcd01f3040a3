import { ConfigError } from '../lib/index.js';
import { defaultConfig, loadConfigFile } from '../config/index.js';
import { configFileFor } from './settings.js';

/** Result of `paracle config check`: the exit code to use. */
export async function configCheckCommand(file: string | undefined, options: { json?: boolean }): Promise<number> {
  const path = configFileFor(file, process.env);
  try {
    if (path) await loadConfigFile(path);
    else defaultConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ file: path, valid: false, issues: err.issues }, null, 2)}\n`);
    } else {
      for (const issue of err.issues) process.stdout.write(`${issue.path}: ${issue.message}\n`);
      process.stderr.write(`paracle: ${path ?? 'the configuration'} has ${err.issues.length} problem(s).\n`);
    }
    return 1;
  }
  const what = path ?? 'no config file found; the built-in defaults';
  if (options.json) process.stdout.write(`${JSON.stringify({ file: path, valid: true, issues: [] }, null, 2)}\n`);
  else process.stdout.write(`${what}: ok\n`);
  return 0;
}
