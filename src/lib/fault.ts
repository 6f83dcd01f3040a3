/**
 * Fault injection: the one seam the crash tests use to stop the daemon or a CLI command at
 * a chosen step of a multi-step change (an archive move, a compression, a run write), the
 * way a power cut would. Code marks such steps with {@link faultPoint}; nothing else in the
 * product knows about crashes.
 *
 * - In a process: `PARACLE_TEST_CRASH_AT=<point>` (or `<point>:<n>`, the n-th time) kills the
 *   process with SIGKILL right after that point. Unset, as always outside the tests, a
 *   fault point does nothing.
 * - In a test's own process: {@link setFaultAction} installs what happens at each point
 *   (e.g. throw), and returns the previous action to put back.
 *
 * Points of today: archive moves `manifest`, `packed`, `placed`, `verified`, `retired`,
 * `removed`; compression `compressed`, `recorded`, `replaced`; run writes (in the run-store
 * worker thread, where SIGKILL stops the whole process all the same) `run-file` after each
 * file is in place and `run-written` after a whole run.
 */
export type FaultAction = (point: string) => void;

let action: FaultAction | null = killAt(process.env.PARACLE_TEST_CRASH_AT);

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

function killAt(spec: string | undefined): FaultAction | null {
  if (!spec) return null;
  const [point, nth = '1'] = spec.split(':');
  let seen = 0;
  return (done) => {
    if (done === point && ++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
  };
}
