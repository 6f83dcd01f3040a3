/**
 * The sustained-load figure: the highest offered load of runs (one trace a request) that a
 * daemon holds for a while with no request shed (503) and every run on disk within a few
 * seconds of its root span ending (the request's due time: the benchmark's traces end as
 * they are sent). Found by doubling from a first guess until a load fails, then bisecting, a
 * fresh daemon per step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSender } from './load.js';
import { scrapeMetric, type Server } from './processes.js';

/** One load tried. */
export interface SustainStep {
  offeredRunsPerSecond: number;
  held: boolean;
  /** Why it was not held: a shed request, or the longest time runs waited past the bound. */
  reason: string | null;
}

export interface SustainOptions {
  /** How long each load is offered. */
  seconds: number;
  /** Every run must be on disk this long after its request was due. */
  lagMs: number;
  /** Loads tried after the first (each halves the interval). */
  steps: number;
  /** The first load tried (e.g. somewhat under the end-to-end rate of the closed loop). */
  startRunsPerSecond: number;
}

const POLL_MS = 250;

/**
 * Bisects for the highest load held. `startDaemon` gives a fresh daemon (its runs dir empty
 * and warmed up) with `paracle_runs_total` at the returned count; `encode(n)` gives n new
 * request bodies; `stop` ends a daemon.
 */
export async function findSustainedLoad(
  options: SustainOptions,
  startDaemon: () => Promise<{ server: Server; runsBefore: number; stop: () => void }>,
  encode: (count: number) => Buffer[],
  log: (line: string) => void,
): Promise<{ runsPerSecond: number; steps: SustainStep[] }> {
  let low = 0;
  // No load has failed yet: a held one is doubled until one fails, then the gap is halved.
  let high = Infinity;
  let offered = options.startRunsPerSecond;
  const steps: SustainStep[] = [];
  for (let i = 0; i <= options.steps; i++) {
    const rate = Math.max(1, Math.round(offered));
    const bodies = encode(Math.ceil(rate * options.seconds));
    const { server, runsBefore, stop } = await startDaemon();
    let step: SustainStep;
    try {
      step = await offer(server, runsBefore, bodies, rate, options);
    } finally {
      stop();
    }
    steps.push(step);
    log(`  ${rate} runs/s for ${options.seconds} s: ${step.held ? 'held' : `not held (${step.reason})`}`);
    if (step.held) low = rate;
    else high = rate;
    offered = Number.isFinite(high) ? (low + high) / 2 : 2 * low;
  }
  return { runsPerSecond: low, steps };
}

/** Offers `perSecond` runs a second; held when none is shed and none waits past the bound. */
async function offer(server: Server, runsBefore: number, bodies: readonly Buffer[], perSecond: number, options: SustainOptions): Promise<SustainStep> {
  const sender = makeSender('http', server, 256);
  const started = performance.now();
  const dueAt = (n: number): number => started + (n * 1000) / perSecond;
  let shed = 0;
  let sent = 0;
  let worstLagMs = 0;
  let lastCheck = started;
  const step = (reason: string | null): SustainStep => ({ offeredRunsPerSecond: perSecond, held: reason === null, reason });
  try {
    while (sent < bodies.length) {
      const now = performance.now();
      for (; sent < bodies.length && dueAt(sent) <= now; sent++) {
        void sender.send(bodies[sent]!).then(
          (answer) => void (answer.retryAfterMs !== null && shed++),
          () => void shed++,
        );
      }
      if (shed > 0) return step(`${shed} requests shed`);
      if (now - lastCheck >= POLL_MS) {
        lastCheck = now;
        worstLagMs = Math.max(worstLagMs, await lagMs(server, runsBefore, now, dueAt, sent));
        if (worstLagMs > options.lagMs) return step(`a run not on disk ${Math.round(worstLagMs)} ms after its root ended`);
      }
      await sleep(Math.max(0, Math.min(dueAt(sent), now + POLL_MS) - performance.now()));
    }
    // The last runs get the same bound.
    const deadline = dueAt(bodies.length - 1) + options.lagMs;
    for (;;) {
      const now = performance.now();
      const lag = await lagMs(server, runsBefore, now, dueAt, sent);
      if (shed > 0) return step(`${shed} requests shed`);
      if (lag === 0 && (await scrapeMetric(server, 'paracle_runs_total')) - runsBefore >= bodies.length) return step(null);
      if (now > deadline) return step(`${bodies.length} runs not all on disk ${options.lagMs} ms after the last root ended`);
      await sleep(POLL_MS);
    }
  } finally {
    sender.close();
  }
}

/** How long the oldest run not yet on disk has waited since its request was due (0: none waits). */
async function lagMs(server: Server, runsBefore: number, now: number, dueAt: (n: number) => number, sent: number): Promise<number> {
  const written = (await scrapeMetric(server, 'paracle_runs_total')) - runsBefore;
  return written >= sent ? 0 : Math.max(0, now - dueAt(Math.max(0, written)));
}
