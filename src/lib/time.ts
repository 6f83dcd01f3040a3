/** Nanoseconds since the epoch, as OTLP carries them (decimal string), to milliseconds. */
export function nanosToMillis(nanos: string): number {
  // Dropping the last six digits keeps the arithmetic in safe integers.
  if (nanos.length <= 6) return 0;
  return Number(nanos.slice(0, -6)) + Number(`0.${nanos.slice(-6)}`);
}

/** Milliseconds since the epoch to an RFC 3339 UTC timestamp with millisecond precision. */
export function isoFromMillis(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

/** Milliseconds since the epoch to an OTLP nanosecond string. */
export function millisToNanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}
