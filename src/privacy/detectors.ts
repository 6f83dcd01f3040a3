/**
 * What the built-in detectors look for (INTERFACE.md §8): secrets by their format and PII by
 * its shape, each a JavaScript regular expression written so that it cannot backtrack more
 * than a bounded amount per position (every repeat is bounded, or cut by a boundary
 * look-behind so that only the start of a run can begin a match), plus a check for what a
 * shape alone cannot tell (a checksum, a range).
 *
 * The key formats are those of secretlint's recommended rule preset
 * (@secretlint/secretlint-rule-preset-recommend 11.7: aws, github, slack, gcp, openai,
 * anthropic, npm, sendgrid, shopify, linear, privatekey, basicauth), taken as facts and widened
 * where the preset is narrower than the keys in use (OpenAI keys without the `T3BlbkFJ` marker,
 * Anthropic keys of any length); a unit test runs the preset itself over the test vectors.
 * Its engine is not used at ingest: it lints whole files asynchronously, at about a
 * millisecond per call, where the scrubber needs microseconds per attribute.
 */
import { isBasicCredential, isBearerCredential, isCardNumber, isIban, isIpv6, isKeyLike, isPhoneNumber } from './checks.js';
import type { PiiKind, SecretKind } from './kinds.js';

/** A finding split into the text kept around it and the part replaced. */
export interface Parts {
  prefix: string;
  secret: string;
  suffix: string;
}

/** One built-in detector. */
export interface Detector {
  kind: PiiKind | SecretKind;
  /** Whether `privacy.scrub_pii` or `privacy.scrub_secrets` turns it on. */
  family: 'pii' | 'secrets';
  /** A regular expression source; its capturing groups are exactly `groups`. */
  source: string;
  groups: number;
  /** The parts of a match from its groups (`groups` entries); by default the whole match is the secret. */
  split?: (match: string, groups: readonly (string | undefined)[]) => Parts;
  /** Whether the secret really is one; by default any match is. */
  check?: (secret: string) => boolean;
  /**
   * What every match contains: one of these substrings, or a digit. A text without it is not
   * searched at all; most texts hold none, and looking for a literal is far faster than
   * trying the detector.
   */
  needs?: readonly string[] | 'digit';
  /**
   * For a pattern found from an anchor in its middle (`@` of an email): where the match
   * really starts, given where the pattern matched (-1: no match after all), and whether the
   * part before the anchor is kept (`keep`) or belongs to the secret.
   */
  back?: { extend: (text: string, offset: number) => number; keep: boolean };
}

/**
 * Widens a match back over a run of `chars`, at least `min` and at most `max` long, which
 * must not continue past that (the character before it is not one of `boundary`, by default
 * `chars`) and must begin with one of `first` when given.
 */
function backOver(chars: RegExp, min: number, max: number, boundary = chars, first?: RegExp): (text: string, offset: number) => number {
  return (text, offset) => {
    let start = offset;
    while (start > 0 && offset - start < max && chars.test(text[start - 1]!)) start--;
    if (offset - start < min || (start > 0 && boundary.test(text[start - 1]!))) return -1;
    return first === undefined || first.test(text[start] ?? '') ? start : -1;
  };
}


/** Not inside a token: the match must not continue a run of these characters. */
const START = String.raw`(?<![A-Za-z0-9_-])`;
const END = String.raw`(?![A-Za-z0-9_-])`;
/** Not inside a number or a word (a following `.digit` continues a number or a version). */
const NUM_START = String.raw`(?<![A-Za-z0-9_.+-])`;
const NUM_END = String.raw`(?![A-Za-z0-9_-]|\.\d)`;

/** A case-insensitive spelling of a word without the `i` flag, which would apply to every detector. */
function anyCase(word: string): string {
  return [...word].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join('');
}

/** Group 1 is kept before the secret (group 2), group 3 after it. */
function middle(_match: string, groups: readonly (string | undefined)[]): Parts {
  return { prefix: groups[0] ?? '', secret: groups[1] ?? '', suffix: groups[2] ?? '' };
}

const secrets: Detector[] = [
  {
    kind: 'private_key',
    family: 'secrets',
    // A whole PEM block; without its END line (cut short), the header and every base64 line
    // after it. The body never runs over a `-----`, so a header costs at most its own block.
    source: String.raw`-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?:[^-]|-(?!----)){0,20000}?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]{0,20000})`,
    groups: 0,
    needs: ['-----BEGIN'],
  },
  {
    kind: 'jwt',
    family: 'secrets',
    source: String.raw`${START}eyJ[A-Za-z0-9_-]{4,8192}\.eyJ[A-Za-z0-9_-]{4,16384}\.[A-Za-z0-9_-]{0,8192}${END}`,
    groups: 0,
    needs: ['eyJ'],
  },
  { kind: 'anthropic', family: 'secrets', source: String.raw`${START}sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{20,256}${END}`, groups: 0, needs: ['sk-ant-'] },
  {
    kind: 'openai',
    family: 'secrets',
    source: String.raw`${START}sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,256}${END}`,
    groups: 0,
    needs: ['sk-'],
    check: (secret) => isKeyLike(secret.slice(3)),
  },
  {
    kind: 'aws',
    family: 'secrets',
    source: String.raw`(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Za-z0-9])`,
    groups: 0,
    needs: ['A3T', 'AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA'],
  },
  { kind: 'github', family: 'secrets', source: String.raw`${START}(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})${END}`, groups: 0, needs: ['gh', 'github_pat_'] },
  { kind: 'gitlab', family: 'secrets', source: String.raw`${START}glpat-[A-Za-z0-9_-]{20,50}${END}`, groups: 0, needs: ['glpat-'] },
  {
    kind: 'slack',
    family: 'secrets',
    source: String.raw`${START}(?:(?:xox[abposr]|xapp)-(?:[A-Za-z0-9]{1,64}-){1,8}[A-Za-z0-9]{1,64}${END}|https://hooks\.slack\.com/services/T[A-Za-z0-9]{1,40}/B[A-Za-z0-9]{1,40}/[A-Za-z0-9]{1,40})`,
    groups: 0,
    needs: ['xox', 'xapp-', 'hooks.slack.com'],
  },
  {
    kind: 'google',
    family: 'secrets',
    source: String.raw`${START}(?:AIza[0-9A-Za-z_-]{35}|GOCSPX-[0-9A-Za-z_-]{28}|ya29\.[0-9A-Za-z_-]{20,2048})${END}`,
    groups: 0,
    needs: ['AIza', 'GOCSPX-', 'ya29.'],
  },
  { kind: 'stripe', family: 'secrets', source: String.raw`${START}(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{32,128})${END}`, groups: 0, needs: ['_live_', '_test_', 'whsec_'] },
  { kind: 'npm', family: 'secrets', source: String.raw`${START}npm_[A-Za-z0-9]{36}${END}`, groups: 0, needs: ['npm_'] },
  { kind: 'sendgrid', family: 'secrets', source: String.raw`${START}SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}${END}`, groups: 0, needs: ['SG.'] },
  { kind: 'shopify', family: 'secrets', source: String.raw`${START}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}${END}`, groups: 0, needs: ['shp'] },
  { kind: 'linear', family: 'secrets', source: String.raw`${START}lin_(?:api|oauth)_[A-Za-z0-9]{40}${END}`, groups: 0, needs: ['lin_'] },
  { kind: 'huggingface', family: 'secrets', source: String.raw`${START}hf_[A-Za-z0-9]{34,40}${END}`, groups: 0, needs: ['hf_'] },
  {
    kind: 'bearer',
    family: 'secrets',
    source: String.raw`(?<![A-Za-z0-9_])((?:[Bb]earer|BEARER)[ \t]+)([A-Za-z0-9._~+/=-]{8,8192})()`,
    groups: 3,
    needs: ['earer', 'EARER'],
    split: middle,
    check: isBearerCredential,
  },
  {
    kind: 'basic_auth',
    family: 'secrets',
    source: String.raw`(?<![A-Za-z0-9_])((?:[Bb]asic|BASIC)[ \t]+)([A-Za-z0-9+/]{4,8192}={0,2})()(?![A-Za-z0-9+/=])`,
    groups: 3,
    needs: ['asic', 'ASIC'],
    split: middle,
    check: isBasicCredential,
  },
  {
    kind: 'url_password',
    family: 'secrets',
    // scheme://user:password@host: only the password goes. Found from `://` and widened back
    // over the scheme (kept), for the same reason as an email.
    source: String.raw`(://[^\s:@/?#"'<>\\]{0,256}:)([^\s@/?#"'<>\\]{1,256})(@)`,
    groups: 3,
    needs: ['://'],
    split: middle,
    back: { extend: backOver(/[A-Za-z0-9+.-]/, 2, 32, /[A-Za-z0-9+.-]/, /[A-Za-z]/), keep: true },
  },
];

const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)`;

const pii: Detector[] = [
  {
    kind: 'email',
    family: 'pii',
    // Found from its `@` and widened back over the local part: a pattern starting with the
    // local part is tried at every letter of a text, one starting with `@` only at an `@`.
    source: String.raw`@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
    groups: 0,
    needs: ['@'],
    back: { extend: backOver(/[A-Za-z0-9._%+-]/, 1, 64), keep: false },
  },
  {
    kind: 'iban',
    family: 'pii',
    source: String.raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])`,
    groups: 0,
    needs: 'digit',
    check: isIban,
  },
  { kind: 'card', family: 'pii', source: String.raw`${NUM_START}\d(?:[ -]?\d){12,18}${NUM_END}`, groups: 0, check: isCardNumber, needs: 'digit' },
  {
    kind: 'ssn',
    family: 'pii',
    source: String.raw`${NUM_START}(?!000|666|9\d\d)\d{3}(?:-(?!00)\d{2}-|\x20(?!00)\d{2}\x20)(?!0000)\d{4}${NUM_END}`,
    groups: 0,
    needs: 'digit',
  },
  {
    kind: 'phone',
    family: 'pii',
    // International: + and a country code, digit groups; libphonenumber checks the length.
    source: String.raw`${NUM_START}\+[1-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}${NUM_END}`,
    groups: 0,
    needs: ['+'],
    check: isPhoneNumber,
  },
  {
    kind: 'phone',
    family: 'pii',
    // National: (415) 555-0132, 415-555-0132, 01 23 45 67 89, (030) 1234567, 020 7946 0958.
    source:
      String.raw`${NUM_START}(?:\(\d{3}\) ?\d{3}[-. ]\d{4}|\d{3}[-. ]\d{3}[-. ]\d{4}|0[1-9](?:[ .-]\d{2}){4}` +
      String.raw`|\(0\d{2,4}\) ?\d{3,4}[ -]?\d{3,4}|0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4})${NUM_END}`,
    groups: 0,
    needs: 'digit',
    check: isPhoneNumber,
  },
  {
    kind: 'ip',
    family: 'pii',
    source: String.raw`(?<![A-Za-z0-9_.:])(?:${OCTET}\.){3}${OCTET}(?![A-Za-z0-9_]|\.\d)`,
    groups: 0,
    needs: ['.'],
  },
  {
    kind: 'ip',
    family: 'pii',
    // IPv6 from its first `:x:` (or `::`), widened back over the first group; Node's parser decides.
    source: String.raw`:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{0,36}(?:\.\d{1,3}){0,3}(?:%[A-Za-z0-9_-]{1,32})?(?![A-Za-z0-9_:]|\.\d)`,
    groups: 0,
    needs: [':'],
    back: { extend: backOver(/[0-9A-Fa-f]/, 0, 4, /[A-Za-z0-9_.:]/), keep: false },
    check: isIpv6,
  },
];

/** Every built-in value detector, in the order their passes run. */
export const VALUE_DETECTORS: readonly Detector[] = [...secrets, ...pii];

const KEY_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'authorization', 'credential', 'apikey']
  .map(anyCase)
  .concat([`${anyCase('api')}[_.-]${anyCase('key')}`, `${anyCase('private')}[_.-]?${anyCase('key')}`]);

/**
 * `key: value` / `key=value` / `"key": "value"` in text (JSON, logfmt, headers, env lines,
 * Python reprs) whose key holds a sensitive word: the value goes. The match starts at the
 * word; the scrubber reads the rest of the key backwards from there and decides with the
 * same rule as for attribute keys. Groups: 1 the word to the value's opening quote, then the
 * value: 2 double-quoted, 3 in escaped double quotes (JSON inside a JSON string), 4 single-quoted, 5 bare.
 */
export const ASSIGNMENT: Detector = {
  kind: 'secret',
  family: 'secrets',
  source:
    String.raw`((?:${KEY_WORDS.join('|')})[A-Za-z0-9_.-]{0,40}(?:\\?["'])?[ \t]{0,3}[:=][ \t]{0,3})` +
    String.raw`(?:"((?:[^"\\\n]|\\.){1,4096})"|\\"((?:[^"\\\n]|\\[^"]){1,4096})\\"|'((?:[^'\\\n]|\\.){1,4096})'` +
    String.raw`|((?:(?:[Bb]earer|[Bb]asic|[Tt]oken|[Bb]ot)[ \t]+)?[^\s"'\\,;&<>]{1,4096}))`,
  groups: 5,
  split: (_match, g) => {
    const quote = g[1] !== undefined ? '"' : g[2] !== undefined ? '\\"' : g[3] !== undefined ? "'" : '';
    return { prefix: (g[0] ?? '') + quote, secret: g[1] ?? g[2] ?? g[3] ?? g[4] ?? '', suffix: quote };
  },
};
