/**
 * The test hook of the crash tests: `PARACLE_TEST_CRASH_AT=placed` (or `placed:2`, the second
 * time) kills this process with SIGKILL right after that step of a run's move, as a power
 * cut would. Unset, it does nothing.
 */
export function crashHook(env: NodeJS.ProcessEnv): ((step: string) => void) | undefined {
  const spec = env.PARACLE_TEST_CRASH_AT;
  if (!spec) return undefined;
  const [step, nth = '1'] = spec.split(':');
  let seen = 0;
  return (done) => {
    if (done === step && ++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
  };
}
