import { TraceAssembler, type AssemblerOptions } from '../../src/processor/assembler/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { TraceSink } from './sinks.js';

/** Assembler options of the unit tests: 2 s grace, 5 min orphan timeout, 100 items in memory. */
export const TEST_ASSEMBLER_OPTIONS: AssemblerOptions = { graceMs: 2000, orphanTimeoutMs: 300_000, maxSpansInMemory: 100 };

/**
 * An assembler on a fake clock, handing on to a {@link TraceSink}: `advance(ms)` moves the
 * clock and runs the readiness check, so no test waits for real time.
 */
export function assemblerHarness(options: Partial<AssemblerOptions> = {}) {
  const sink = new TraceSink();
  let now = 1_000_000;
  const assembler = new TraceAssembler(sink, { ...TEST_ASSEMBLER_OPTIONS, ...options }, silentLogger(), () => now);
  return {
    sink,
    assembler,
    advance(ms: number) {
      now += ms;
      assembler.tick(now);
    },
  };
}
