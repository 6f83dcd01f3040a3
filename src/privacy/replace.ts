import { createHmac } from 'node:crypto';

/** How a found value is written instead (`privacy.replacement`). */
export type ReplacementMode = 'label' | 'hmac';

/** Makes the text that stands where a value of `kind` was. */
export type Replacer = (kind: string, value: string) => string;

const HMAC_HEX_CHARS = 12;

/**
 * `label`: `[REDACTED:<kind>]`. `hmac`: `[<kind>:<first 12 hex of HMAC-SHA256(key, value)>]`,
 * the same for the same value in every run, so redacted values still join across runs
 * without being readable.
 */
export function replacer(mode: ReplacementMode, hmacKey?: string): Replacer {
  if (mode === 'label') return (kind) => `[REDACTED:${kind}]`;
  if (hmacKey === undefined || hmacKey === '') throw new Error('replacement "hmac" needs a key');
  return (kind, value) => `[${kind}:${createHmac('sha256', hmacKey).update(value).digest('hex').slice(0, HMAC_HEX_CHARS)}]`;
}

// What a replacement looks like, so a value scrubbed already (a record replayed from the
// write-ahead log, a key's value) is not counted again.
const REPLACEMENT = /^\[(?:REDACTED:[a-z][a-z0-9_]*|[a-z][a-z0-9_]*:[0-9a-f]{12})\]$/;

/** Whether `text` is a replacement this scrubber writes. */
export function isReplacement(text: string): boolean {
  return text.length <= 80 && text.charCodeAt(0) === 91 /* [ */ && REPLACEMENT.test(text);
}
