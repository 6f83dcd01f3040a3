import { RetryableError } from '../../lib/index.js';

/** The memory bounds (`ingest.max_spans_in_memory`, `ingest.max_bytes_in_memory`). */
export interface MemoryLimits {
  maxSpansInMemory: number;
  /** Request bytes held; unbounded when absent. */
  maxBytesInMemory?: number;
}

/** Seconds a sender is asked to wait when memory is full. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Counts what the assembler holds (spans and their request bytes), both while assembling
 * and after handing a trace on until it is stored, and decides when to shed load.
 */
export class MemoryBudget {
  spans = 0;
  bytes = 0;

  constructor(private readonly limits: MemoryLimits) {}

  /**
   * The error to refuse a batch with, or null to take it. An empty daemon takes any batch,
   * so a batch larger than a bound is not refused forever.
   */
  refusal(spans: number, bytes: number): RetryableError | null {
    if (this.spans === 0) return null;
    const maxBytes = this.limits.maxBytesInMemory ?? Infinity;
    if (this.spans + spans <= this.limits.maxSpansInMemory && this.bytes + bytes <= maxBytes) return null;
    const held = `${this.spans} spans (${Math.round(this.bytes / 1024)} KiB)`;
    return new RetryableError('overloaded', `the daemon holds ${held} in memory, at its limit; retry later`, RETRY_AFTER_SECONDS);
  }

  hold(spans: number, bytes: number): void {
    this.spans += spans;
    this.bytes += bytes;
  }

  release(spans: number, bytes: number): void {
    this.spans -= spans;
    this.bytes -= bytes;
  }
}
