import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 12 and later (Node 22, 24) keep freed pages pooled and the young generation at its
 * largest (32 MB semi-spaces) after an ordinary full collection; only a memory-reducing one
 * gives them back. Measured on a root with 200,000 children sent in four requests: the
 * process peaked at 514–521 MiB on Node 24 with ordinary collections and at 351–358 MiB
 * with memory-reducing ones. On V8 11 (Node 20) the memory-reducing kind made it worse
 * (453–459 MiB against 307–310), so it keeps the ordinary kind.
 */
const REDUCES_MEMORY = Number.parseInt(process.versions.v8, 10) >= 12;

/**
 * A function that runs a full garbage collection of the calling thread's heap. `gc` is taken
 * from a context made while `--expose-gc` is set, then the flag is cleared again (the way
 * jest's leak detector does it): no other context sees it. For a thread that has just let go
 * of a large trace, whose garbage V8 would otherwise keep (and keep resident) until the
 * thread allocates again.
 */
export function fullCollector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options?: object) => void;
  setFlagsFromString('--no-expose-gc');
  if (!REDUCES_MEMORY) return () => gc();
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

let collect: (() => void) | undefined;
let pending = false;

/**
 * Asks for a {@link fullCollector} collection of this thread's heap once the current work is
 * done (on the next turn of the event loop); asks made before it ran are one collection.
 */
export function collectSoon(): void {
  if (pending) return;
  pending = true;
  setImmediate(() => {
    pending = false;
    (collect ??= fullCollector())();
  });
}
