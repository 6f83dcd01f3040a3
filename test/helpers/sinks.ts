import type { AssembledTrace, LogRecord } from '../../src/model/index.js';
import type { LogsConsumer, TraceConsumer } from '../../src/contracts/index.js';

/**
 * A TraceConsumer (and LogsConsumer, for records of no trace) that records what it is handed
 * (the Collector's consumertest sink). `hold()` makes consumeTrace calls wait until
 * `release()`, to test memory accounting.
 */
export class TraceSink implements TraceConsumer, LogsConsumer {
  readonly traces: AssembledTrace[] = [];
  readonly untracedLogs: LogRecord[] = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  async consumeTrace(trace: AssembledTrace): Promise<void> {
    this.traces.push(trace);
    if (this.gate) await this.gate;
  }

  consumeLogs(logs: LogRecord[]): Promise<void> {
    this.untracedLogs.push(...logs);
    return Promise.resolve();
  }

  /** Traces handed on in `phase`. */
  inPhase(phase: AssembledTrace['phase']): AssembledTrace[] {
    return this.traces.filter((t) => t.phase === phase);
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = null;
  }
}
