import { watch, type FSWatcher } from 'chokidar';
import { loadConfigFile, type ParacleConfig } from './index.js';
import { ConfigError } from '../lib/index.js';
import type { Component } from '../contracts/index.js';
import type { Logger } from '../telemetry/index.js';

/** Applies a changed config that validated; returns the sections that need a restart to change. */
export type ApplyConfig = (next: ParacleConfig, previous: ParacleConfig) => string[];

/**
 * Watches the config file (INTERFACE.md §6): a change that validates is handed to `apply`
 * and becomes the current config; one that does not is refused with a log line naming every
 * problem, and the old config stays. Editors that save by renaming a new file into place
 * are followed too.
 */
export class ConfigWatcher implements Component {
  private watcher: FSWatcher | null = null;
  private chain = Promise.resolve();

  constructor(
    private readonly file: string,
    private current: ParacleConfig,
    private readonly apply: ApplyConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.watcher = watch(this.file, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
    const reload = (): void => {
      this.chain = this.chain.then(() => this.reload());
    };
    this.watcher.on('add', reload).on('change', reload);
    this.watcher.on('error', (err) => this.logger.warn({ err, file: this.file }, 'watching the config file failed'));
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
  }

  async shutdown(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
    await this.chain;
  }

  private async reload(): Promise<void> {
    let next: ParacleConfig;
    try {
      next = await loadConfigFile(this.file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.issues.map((i) => `${i.path}: ${i.message}`) : [String(err)];
      this.logger.warn({ file: this.file, problems }, 'config change refused: the old config stays');
      return;
    }
    const restartNeeded = this.apply(next, this.current);
    this.current = next;
    this.logger.info({ file: this.file, restart_needed: restartNeeded }, 'config change applied');
  }
}
