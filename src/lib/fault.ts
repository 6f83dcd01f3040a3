/**
 * Fault injection: the one seam the crash tests use to stop the daemon or a CLI command at
 * a chosen step of a multi-step change (an archive move, a compression, a run write), the
 * way a power cut would. Code marks such steps with {@link faultPoint}; nothing else in the
 * product knows about crashes.
 *
 * - In a process: `PARACLE_TEST_CRASH_AT=<point>` (or `<point>:<n>`, the n-th time) kills the
 *   process with SIGKILL right after that point. `PARACLE_TEST_FAIL_AT=<point>` (or
 *   `<point>:<n>`, the n-th time; `<point>:*`, every time) throws an {@link InjectedFault}
 *   there instead: a failure that is neither a disk error nor a crash, such as a bug in the
 *   mapping. Worker threads read the same variables and count on their own. Unset, as always
 *   outside the tests, a fault point does nothing.
 * - In a test's own process: {@link setFaultAction} installs what happens at each point
 *   (e.g. throw), and returns the previous action to put back.
 *
 * Points of today: archive moves `manifest`, `packed`, `placed`, `verified`, `retired`,
 * `removed`; compression `compressed`, `recorded`, `replaced`; run writes (in the run-store
 * worker thread, where SIGKILL stops the whole process all the same) `run-file` after each
 * file is in place, `run-mapped` once a trace is mapped to its run record (before any file
 * is written) and `run-written` after a whole run; key rotation `key-rewrapped` after each
 * data key; store conversion (`keys encrypt-store` / `decrypt-store`) `store-file-converted`,
 * `archive-converted` and `segment-converted` after each file, archive and log segment.
 */
export type FaultAction = (point: string) => void;

/** What `PARACLE_TEST_FAIL_AT` throws at its point. */
export class InjectedFault extends Error {
  constructor(readonly point: string) {
    super(`injected fault at ${point} (PARACLE_TEST_FAIL_AT)`);
    this.name = 'InjectedFault';
  }
}

let action: FaultAction | null = fromEnvironment(process.env.PARACLE_TEST_CRASH_AT, process.env.PARACLE_TEST_FAIL_AT);

/** Marks the end of one step of a multi-step change; see the module comment. */
export function faultPoint(point: string): void {
  action?.(point);
}

/** Installs the action taken at every fault point (null: none); returns the previous one. */
export function setFaultAction(next: FaultAction | null): FaultAction | null {
  const previous = action;
  action = next;
  return previous;
}

function fromEnvironment(crashAt: string | undefined, failAt: string | undefined): FaultAction | null {
  const kill = crashAt ? at(crashAt, () => process.kill(process.pid, 'SIGKILL')) : null;
  const fail = failAt ? at(failAt, (point) => {
    throw new InjectedFault(point);
  }) : null;
  if (!kill && !fail) return null;
  return (done) => {
    kill?.(done);
    fail?.(done);
  };
}

/** Runs `effect` at `<point>` the n-th time it is reached (`<point>:<n>`, default 1), or every time (`<point>:*`). */
function at(spec: string, effect: FaultAction): FaultAction {
  const [point, nth = '1'] = spec.split(':');
  let seen = 0;
  return (done) => {
    if (done !== point) return;
    seen++;
    if (nth === '*' || seen === Number(nth)) effect(done);
  };
}
