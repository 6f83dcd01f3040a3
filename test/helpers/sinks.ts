import type { AssembledTrace } from '../../src/model/index.js';
import type { TraceConsumer } from '../../src/pipeline/index.js';

/**
 * A TraceConsumer that records what it is handed (the Collector's consumertest sink).
 * `hold()` makes consume calls wait until `release()`, to test memory accounting.
 */
export class TraceSink implements TraceConsumer {
  readonly traces: AssembledTrace[] = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  async consumeTrace(trace: AssembledTrace): Promise<void> {
    this.traces.push(trace);
    if (this.gate) await this.gate;
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
