import { RetryableError } from '../../lib/index.js';
import type { MemoryGate } from '../../contracts/index.js';

/** The memory bounds (`ingest.max_spans_in_memory`, `ingest.max_bytes_in_memory`). */
export interface MemoryLimits {
  maxSpansInMemory: number;
  /** Decoded bytes held; unbounded when absent. */
  maxBytesInMemory?: number;
}

/** Seconds a sender is asked to wait when memory is full. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Counts what the pipeline holds: spans and log records and their decoded bytes, from the
 * moment a receiver reserves them while decoding, through assembly, until their trace is
 * stored; and decides when to shed load. An empty budget takes any batch, so that a batch
 * larger than a bound is not refused forever (the decoders refuse a request that alone
 * decodes past the byte bound).
 */
export class MemoryBudget implements MemoryGate {
  spans = 0;
  bytes = 0;
  readonly maxBytes: number;

  constructor(private readonly limits: MemoryLimits) {
    this.maxBytes = limits.maxBytesInMemory ?? Number.MAX_SAFE_INTEGER;
  }

  tryReserve(bytes: number): boolean {
    if (this.bytes > 0 && this.bytes + bytes > this.maxBytes) return false;
    this.bytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.bytes -= bytes;
  }

  /**
   * The error to refuse a batch of `spans` items and `bytes` more bytes with (beside the
   * `reserved` bytes already counted for it), or null to take it.
   */
  refusal(spans: number, bytes: number, reserved = 0): RetryableError | null {
    if (this.spans === 0 && this.bytes - reserved <= 0) return null;
    if (this.spans + spans <= this.limits.maxSpansInMemory && (bytes === 0 || this.bytes + bytes <= this.maxBytes)) return null;
    const held = `${this.spans} spans (${Math.round(this.bytes / 1024)} KiB)`;
    return new RetryableError('overloaded', `the daemon holds ${held} in memory, at its limit; retry later`, RETRY_AFTER_SECONDS);
  }

  hold(spans: number, bytes: number): void {
    this.spans += spans;
    this.bytes += bytes;
  }

  /** Releases items held (and their bytes) once they are stored or dropped. */
  releaseHeld(spans: number, bytes: number): void {
    this.spans -= spans;
    this.bytes -= bytes;
  }
}
