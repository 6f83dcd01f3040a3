/**
 * Privacy (INTERFACE.md §8): pure detectors of secrets and personal data, compiled once into
 * a scrubber that replaces what they find with a label or a keyed hash and counts it by kind.
 * No I/O; the pipeline stage (processor/redact) and the artifact writer use it.
 */
export { Scrubber } from './scrubber.js';
export type { PrivacySettings } from './scrubber.js';
export { RedactionTally } from './tally.js';
export { customPatternProblem } from './custom.js';
export type { CustomPattern } from './custom.js';
export { PII_KINDS, SECRET_KINDS, KIND_NAME } from './kinds.js';
export type { PiiKind, SecretKind, RedactionKind } from './kinds.js';
export type { ReplacementMode } from './replace.js';
export { classifyKey } from './keys.js';
export type { KeyClass } from './keys.js';
export { scrubTextStream, SNIFF_BYTES } from './text-stream.js';
