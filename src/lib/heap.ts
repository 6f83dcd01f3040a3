import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A function that runs a full garbage collection of the calling thread's heap. `gc` is taken
 * from a context made while `--expose-gc` is set, then the flag is cleared again (the way
 * jest's leak detector does it): no other context sees it. For a thread that has just let go
 * of a large trace, whose garbage V8 would otherwise keep (and keep resident) until the
 * thread allocates again.
 */
export function fullCollector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  return gc;
}
