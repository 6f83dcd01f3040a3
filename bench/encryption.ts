/**
 * The encryption figure (issue 16): end-to-end runs/s over OTLP/HTTP (every run on disk)
 * with `privacy.encryption.enabled` against the same build without it, in the same run, on
 * traces that carry prompt and completion text. The two take turns (off, on, off, on, ...:
 * `--encryption-rounds` pairs) so a change in the shared machine's load falls on both; each
 * figure is the better of its turns.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoop } from './load.js';
import type { BenchOptions } from './options.js';
import { scrapeMetric, startDaemon, type Server } from './processes.js';

export interface EncryptionOutcome {
  offRunsPerSecond: number;
  onRunsPerSecond: number;
  /** Runs on disk per second in each turn, in order: off, on, off, on, ... */
  turns: number[];
}

async function runsOnDisk(server: Server, target: number, timeoutMs: number): Promise<{ at: number; value: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await scrapeMetric(server, 'paracle_runs_total');
    const at = performance.now();
    if (value >= target || at > deadline) return { at, value };
    await sleep(25);
  }
}

/** Runs `options.encryptionRounds` pairs of turns (off, on) with `bodies` (content-bearing traces) after `warmup`. */
export async function measureEncryption(
  dist: string,
  bodies: { warmup: Buffer[]; timed: Buffer[] },
  options: BenchOptions,
  baseConfig: Record<string, unknown>,
  freshDir: (name: string) => Promise<string>,
  warn: (problem: string) => void,
): Promise<EncryptionOutcome> {
  const env = { PARACLE_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
  const turn = async (encrypted: boolean): Promise<number> => {
    const dir = await freshDir(encrypted ? 'encryption-on' : 'encryption-off');
    const config = encrypted ? { ...baseConfig, privacy: { encryption: { enabled: true } } } : baseConfig;
    const daemon = await startDaemon(dist, join(dir, 'runs'), dir, config, env);
    try {
      await closedLoop('http', daemon, bodies.warmup, options.concurrency);
      const warm = await runsOnDisk(daemon, bodies.warmup.length, options.drainSeconds * 1000);
      const t0 = performance.now();
      const ack = await closedLoop('http', daemon, bodies.timed, options.concurrency, options.seconds);
      const done = await runsOnDisk(daemon, warm.value + ack.requests, options.drainSeconds * 1000);
      if (done.value < warm.value + ack.requests) warn(`encryption figure: ${done.value - warm.value} of ${ack.requests} runs on disk after --drain-seconds`);
      return (done.value - warm.value) / ((done.at - t0) / 1000);
    } finally {
      // Everything timed is on disk (or given up on); the rest is not measured.
      daemon.kill();
    }
  };
  const turns: number[] = [];
  for (let round = 0; round < options.encryptionRounds; round++) turns.push(await turn(false), await turn(true));
  const off = turns.filter((_, i) => i % 2 === 0);
  const on = turns.filter((_, i) => i % 2 === 1);
  const [low, high] = [Math.min(...off), Math.max(...off)];
  if ((high - low) / high > 0.25) warn(`encryption figure: the unencrypted turns differ by more than 25% (${low.toFixed(1)} to ${high.toFixed(1)} runs/s): the machine's load changed`);
  return { offRunsPerSecond: high, onRunsPerSecond: Math.max(...on), turns };
}
