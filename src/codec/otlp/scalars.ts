/**
 * Conversions of protobuf scalars into the model's JSON form: 64-bit integers as exact
 * decimal strings, bytes as hex or base64. These run for every span, so they avoid BigInt
 * and intermediate objects on the common paths.
 */

/** A 64-bit integer as protobufjs decodes it when long.js is present. */
export interface WireLong {
  low: number;
  high: number;
  unsigned: boolean;
}

const TWO_32 = 4294967296;
const E7 = 10_000_000;
// 2^48 = 28147497 * 10^7 + 6710656
const TWO_48_HIGH = 28147497;
const TWO_48_LOW = 6710656;

/**
 * The exact decimal text of the unsigned 64-bit integer `hi * 2^32 + lo` (both uint32).
 * Splits the value into `top * 10^7 + rest` with every intermediate below 2^53, which is
 * several times faster than going through BigInt for nanosecond timestamps.
 */
export function uint64ToDecimal(hi: number, lo: number): string {
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  const hiHigh = hi >>> 16;
  const below48 = (hi & 0xffff) * TWO_32 + lo + hiHigh * TWO_48_LOW;
  const top = hiHigh * TWO_48_HIGH + Math.floor(below48 / E7);
  const rest = String(below48 % E7);
  return String(top) + '0000000'.slice(rest.length) + rest;
}

/** A decoded `fixed64` / `uint64` field as an exact decimal string. */
export function unsignedToDecimal(value: WireLong): string {
  return uint64ToDecimal(value.high >>> 0, value.low >>> 0);
}

/** A decoded `int64` field as an exact, possibly negative, decimal string. */
export function signedToDecimal(value: WireLong): string {
  const high = value.high | 0;
  // Within ±2^53 the double arithmetic is exact; beyond that (rare for attribute ints) use BigInt.
  if (high >= -0x200000 && high < 0x200000) return String(high * TWO_32 + (value.low >>> 0));
  return BigInt.asIntN(64, (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)).toString();
}

/** Bytes as a Node Buffer view (no copy), for its native hex and base64 encoders. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes as lower-case hex. */
export function bytesToHex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : asBuffer(bytes).toString('hex');
}

/** Bytes as standard (padded) base64, the proto3 JSON form of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : asBuffer(bytes).toString('base64');
}

/** True when every byte is zero (an all-zero id means "no id" in OTLP). */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The body as a Buffer view, so protobufjs takes its faster Buffer reader path. */
export function toBuffer(body: Uint8Array): Buffer {
  return asBuffer(body);
}
