/**
 * The kinds of replacement (INTERFACE.md §8): what `[REDACTED:<kind>]` names, the `kind` label
 * of `paracle_redactions_total` and the keys of a run's `privacy` counts.
 */

/** Personal data found by its shape. */
export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ssn', 'ip'] as const;

/**
 * Secrets found by their format (a provider's key format, a token or credential syntax), and
 * `secret`: a value known to be one only by the name of its key.
 */
export const SECRET_KINDS = [
  'openai',
  'anthropic',
  'aws',
  'github',
  'gitlab',
  'slack',
  'google',
  'stripe',
  'npm',
  'sendgrid',
  'shopify',
  'linear',
  'huggingface',
  'jwt',
  'private_key',
  'bearer',
  'basic_auth',
  'url_password',
  'secret',
] as const;

/** A built-in kind of personal data. */
export type PiiKind = (typeof PII_KINDS)[number];

/** A built-in kind of secret. */
export type SecretKind = (typeof SECRET_KINDS)[number];

/** A kind: built in, or the `name` of a custom pattern. */
export type RedactionKind = PiiKind | SecretKind | (string & {});

/** What a custom pattern's `name` must look like: it becomes a label value and part of a replacement. */
export const KIND_NAME = /^[a-z][a-z0-9_]{0,62}$/;
