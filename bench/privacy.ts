/**
 * The privacy figure (issue 15): OTLP/HTTP ack throughput with scrubbing on (the default)
 * against the same daemon build with every `privacy.scrub_*` off, in the same run, on spans
 * that carry prompt and completion text (unique per call, so nothing is scanned only once).
 * The two daemons take turns (off, on, off, on) so a change in the shared machine's load
 * falls on both; each figure is the better of its two turns.
 */
import { join } from 'node:path';
import { closedLoop, type LoadResult } from './load.js';
import type { BenchOptions } from './options.js';
import { startDaemon } from './processes.js';

export interface PrivacyOutcome {
  offSpansPerSecond: number;
  onSpansPerSecond: number;
  /** Spans acked per second in each turn, in order: off, on, off, on. */
  turns: number[];
}

const OFF = { scrub_pii: false, scrub_secrets: false };

/** Runs the four turns with `bodies` (content-bearing traces) after `warmup`. */
export async function measurePrivacy(
  dist: string,
  bodies: { warmup: Buffer[]; timed: Buffer[] },
  options: BenchOptions,
  baseConfig: Record<string, unknown>,
  freshDir: (name: string) => Promise<string>,
  warn: (problem: string) => void,
): Promise<PrivacyOutcome> {
  const turn = async (privacy: Record<string, unknown> | null): Promise<LoadResult> => {
    const dir = await freshDir(privacy ? 'privacy-off' : 'privacy-on');
    const config = privacy ? { ...baseConfig, privacy } : baseConfig;
    const daemon = await startDaemon(dist, join(dir, 'runs'), dir, config);
    try {
      await closedLoop('http', daemon, bodies.warmup, options.concurrency);
      return await closedLoop('http', daemon, bodies.timed, options.concurrency, options.seconds);
    } finally {
      // The write backlog is not what is measured.
      daemon.kill();
    }
  };
  const rate = (r: LoadResult): number => (r.requests * options.spans) / r.seconds;
  const results: LoadResult[] = [];
  for (const privacy of [OFF, null, OFF, null]) results.push(await turn(privacy));
  const [off1, on1, off2, on2] = results.map(rate) as [number, number, number, number];
  if (Math.abs(off1 - off2) / Math.max(off1, off2) > 0.25) warn(`privacy figure: the two scrubbing-off turns differ by more than 25% (${off1.toFixed(0)} and ${off2.toFixed(0)} spans/s): the machine's load changed`);
  return { offSpansPerSecond: Math.max(off1, off2), onSpansPerSecond: Math.max(on1, on2), turns: [off1, on1, off2, on2] };
}
