/**
 * What decoding may take: the OTel SDK attribute limits applied while decoding (INTERFACE.md
 * §5), and the memory a request's decoded form may fill, measured as it is built.
 */
import { PayloadTooLargeError, RetryableError } from '../../lib/index.js';
import type { TruncationCounts, TruncationLimit } from '../../model/index.js';

/** The limits of `ingest.limits` (OTel SDK names), as the decoders apply them. */
export interface AttributeLimits {
  /** Attributes per span, event, link, log record, resource and scope; later ones are dropped. */
  attributeCount: number;
  /** Characters of a string value (bytes of a bytes value) in an attribute; null: unlimited. */
  attributeValueLength: number | null;
  /** Nesting of arrays and key-value lists in a value; deeper ones become empty values. */
  attributeValueDepth: number;
  /** Events per span; later ones are dropped. */
  eventCount: number;
  /** Links per span; later ones are dropped. */
  linkCount: number;
}

/** The defaults of `ingest.limits`: values no real instrumentation reaches. */
export const DEFAULT_LIMITS: Readonly<AttributeLimits> = {
  attributeCount: 4096,
  attributeValueLength: null,
  attributeValueDepth: 64,
  eventCount: 4096,
  linkCount: 1024,
};

/**
 * What the synchronous decoders apply by default, to the daemon's own bytes (a stored
 * trace.json, read back to merge late spans, for the API or from an archive): nothing is cut,
 * whatever `ingest.limits` were when it was stored. Values nest at most as deep as
 * `ingest.limits.attribute_value_depth_limit` may be set (256, checked by the config schema).
 */
export const STORED_LIMITS: Readonly<AttributeLimits> = {
  attributeCount: Number.POSITIVE_INFINITY,
  attributeValueLength: null,
  attributeValueDepth: 256,
  eventCount: Number.POSITIVE_INFINITY,
  linkCount: Number.POSITIVE_INFINITY,
};

/** What ends a string value cut at `attribute_value_length_limit`. */
export const TRUNCATION_MARKER = '…[truncated]';

/**
 * `text` cut to `limit` UTF-16 units (one less rather than half a surrogate pair) and the
 * marker appended; unchanged when it fits.
 */
export function cutText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + TRUNCATION_MARKER;
}

/**
 * The memory bound decoding answers to (the assembler's, `ingest.max_bytes_in_memory`):
 * a request is decoded only as far as the bound allows.
 */
export interface DecodeBudget {
  /** What one request may decode to at most; more is refused with 413. */
  readonly maxBytes: number;
  /** Takes `bytes` more of the bound; false when what is held leaves no room (shed with 503). */
  tryReserve(bytes: number): boolean;
  /** Gives back bytes taken by {@link tryReserve}. */
  release(bytes: number): void;
}

/** Options of the decoders. */
export interface DecodeOptions {
  limits?: Readonly<AttributeLimits>;
  /** Absent: the input is the daemon's own (a WAL record, a stored trace) and is not bounded. */
  budget?: DecodeBudget;
  /**
   * JSON of any size is parsed by `JSON.parse` at once (V8's does not recurse), not by the
   * sliced parser: for the daemon's own text decoded off the event loop (a stored trace.json
   * in a run-store worker), where it is faster and builds less.
   */
  atOnce?: boolean;
}

/** Seconds a sender is asked to wait when decoding found memory full. */
const RETRY_AFTER_SECONDS = 1;
/** Reservations are made in steps of this many bytes, not per object. */
const RESERVE_STEP = 1 << 20;

/**
 * Estimated heap bytes of what decoding builds (64-bit V8 without pointer compression):
 * an object's header and its fields, a string's header and its characters. Estimates err
 * high, so that the bound holds.
 */
export const HEAP = {
  object: (fields: number): number => 32 + 8 * fields,
  /** A string of `length` UTF-16 units decoded from `bytes` bytes (one byte a unit when ASCII). */
  string: (length: number, bytes: number): number => 24 + (length === bytes ? length : 2 * length),
  arraySlot: 12,
} as const;

/**
 * Counts the estimated bytes of one request's decoded form and reserves them from the
 * budget as they grow, and counts what the limits cut. Throws {@link PayloadTooLargeError}
 * once the request alone is over the budget's `maxBytes`, {@link RetryableError} when the
 * budget has no room now. The decoders give {@link reserved} back when they fail, else
 * report it for whoever keeps the decoded items.
 */
export class DecodeMeter {
  bytes = 0;
  reserved = 0;
  readonly totals: TruncationCounts = {};

  constructor(private readonly budget: DecodeBudget | undefined) {}

  /** Adds `n` estimated bytes. */
  add(n: number): void {
    this.bytes += n;
    if (this.budget !== undefined && this.bytes > this.reserved) this.reserve(this.budget);
  }

  /** Counts one cut by `limit`, in the item's counts and the request's totals. */
  cut(item: TruncationCounts, limit: TruncationLimit, n = 1): void {
    item[limit] = (item[limit] ?? 0) + n;
    this.totals[limit] = (this.totals[limit] ?? 0) + n;
  }

  /** Forgets `n` bytes counted before (a transient structure became garbage), giving back their reservation. */
  forget(n: number): void {
    this.bytes -= n;
    const surplus = this.reserved - Math.max(this.bytes, 0);
    if (surplus > 0 && this.budget !== undefined) {
      this.budget.release(surplus);
      this.reserved -= surplus;
    }
  }

  /** Gives back what was reserved past the final count (reservations go in steps). */
  trim(): void {
    const surplus = this.reserved - this.bytes;
    if (surplus > 0 && this.budget !== undefined) {
      this.budget.release(surplus);
      this.reserved = this.bytes;
    }
  }

  /** Gives back everything reserved (decoding failed). */
  releaseAll(): void {
    if (this.reserved > 0) this.budget?.release(this.reserved);
    this.reserved = 0;
  }

  private reserve(budget: DecodeBudget): void {
    if (this.bytes > budget.maxBytes) {
      throw new PayloadTooLargeError(budget.maxBytes, `the request decodes to more than ingest.max_bytes_in_memory (${budget.maxBytes} bytes); send smaller batches`);
    }
    const step = Math.min(budget.maxBytes, this.reserved + RESERVE_STEP) - this.reserved;
    const want = Math.max(this.bytes - this.reserved, step);
    if (!budget.tryReserve(want)) {
      throw new RetryableError('overloaded', 'the daemon holds too much telemetry in memory to take this request now; retry later', RETRY_AFTER_SECONDS);
    }
    this.reserved += want;
  }
}
