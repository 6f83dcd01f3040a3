import type { AnyValue, KeyValue } from '../model/index.js';
import { Pass, type Found, type TextProfile } from './compiled.js';
import { CustomPatterns, type CustomPattern } from './custom.js';
import { ASSIGNMENT, VALUE_DETECTORS } from './detectors.js';
import { isNumeric, KeyClassifier, type KeyClass } from './keys.js';
import { isReplacement, replacer, type ReplacementMode, type Replacer } from './replace.js';
import { RedactionTally } from './tally.js';

/** What to scrub and how (the `privacy` keys of INTERFACE.md §8, resolved). */
export interface PrivacySettings {
  scrubPii: boolean;
  scrubSecrets: boolean;
  replacement: ReplacementMode;
  /** The HMAC key when `replacement` is `hmac`. */
  hmacKey?: string;
  customPatterns: readonly CustomPattern[];
  /** Attribute keys whose values are never scrubbed. */
  allowKeys: readonly string[];
}

// Nothing a built-in detector finds is shorter (`a@b.io` is 6 characters).
const MIN_DETECTABLE = 6;
const KEY_CHAR = /[A-Za-z0-9_.-]/;
const KEY_LOOKBACK = 64;
const DIGIT = /\d/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The scrubber: every detector compiled once (one pass per text for the built-in ones, one for
 * the custom patterns), applied to texts and OTLP values. Pure apart from counting what it
 * replaced into the tally it is given. Values are changed in place.
 */
export class Scrubber {
  /** Whether anything is scrubbed at all (every `scrub_*` off and no custom pattern: no). */
  readonly active: boolean;
  /** Every kind this scrubber can count. */
  readonly kinds: readonly string[];
  /** Every pass, in order: `key = value` assignments first when secrets are on. */
  private readonly all: readonly Pass[];
  /** The value detectors alone (for the value of a key that is not sensitive). */
  private readonly values: readonly Pass[];
  private readonly custom: CustomPatterns;
  private readonly replace: Replacer;
  private readonly keys = new KeyClassifier();
  private readonly allow: ReadonlySet<string>;
  private readonly byKey: boolean;
  private tally = new RedactionTally();
  /** Short texts recur in every span (names, models, operations): each is scanned once. */
  private readonly recent = new RecentTexts();
  private readonly scratch = new RedactionTally();
  private readonly decide = (pass: Pass, found: Found): string | null => this.onMatch(pass, found);

  /** @throws Error when `replacement` is `hmac` without a key, or a custom pattern is not RE2 syntax. */
  constructor(settings: PrivacySettings) {
    const enabled = VALUE_DETECTORS.filter((d) => (d.family === 'pii' ? settings.scrubPii : settings.scrubSecrets));
    this.byKey = settings.scrubSecrets;
    this.values = enabled.map((detector) => new Pass(detector));
    this.all = this.byKey ? [new Pass(ASSIGNMENT), ...this.values] : this.values;
    this.custom = new CustomPatterns(settings.customPatterns);
    this.replace = replacer(settings.replacement, settings.hmacKey);
    this.allow = new Set(settings.allowKeys);
    this.active = enabled.length > 0 || this.custom.active;
    const kinds = [...enabled.map((d) => d.kind), ...(this.byKey ? ['secret'] : []), ...settings.customPatterns.map((p) => p.name)];
    this.kinds = [...new Set(kinds)];
  }

  /** `text` with every finding replaced, counted into `tally`; the same string when nothing was found. */
  text(text: string, tally: RedactionTally): string {
    if (text.length > this.recent.maxLength) return this.scan(text, tally);
    const known = this.recent.get(text);
    if (known === UNCHANGED) return text;
    if (known !== undefined) {
      for (const [kind, count] of known.counts) tally.add(kind, count);
      return known.out;
    }
    const counts = this.scratch;
    counts.clear();
    const out = this.scan(text, counts);
    this.recent.set(text, counts.total === 0 ? UNCHANGED : { out, counts: [...counts.entries()] });
    tally.merge(counts);
    return out;
  }

  private scan(text: string, tally: RedactionTally): string {
    this.tally = tally;
    let out = text;
    if (this.custom.active) out = this.custom.scrub(out, (name, match) => this.substitute(name, match));
    return out.length >= MIN_DETECTABLE ? this.run(this.all, out) : out;
  }

  /** Runs `passes` over `text` in order. */
  private run(passes: readonly Pass[], text: string): string {
    // Replacements only take digits away (or add an hmac's, which no pass takes for a
    // finding), so the first text's profile holds for the later ones.
    const profile: TextProfile = { digit: DIGIT.test(text) };
    let out = text;
    for (const pass of passes) out = pass.replace(out, this.decide, profile);
    return out;
  }

  /** Scrubs a list of attributes in place: by key name, then by content; `allow_keys` are left alone. */
  attributes(attributes: readonly KeyValue[], tally: RedactionTally): void {
    for (const kv of attributes) {
      if (!this.allow.has(kv.key)) this.walk(kv.value, this.classOf(kv.key), kv.key, tally);
    }
  }

  /** Scrubs a value with no key of its own (a log body) in place. */
  value(value: AnyValue, tally: RedactionTally): void {
    this.walk(value, 'plain', '', tally);
  }

  // Arrays and key-value lists are walked with a stack: their depth is the sender's to choose.
  private walk(root: AnyValue, rootClass: KeyClass, rootKey: string, tally: RedactionTally): void {
    const stack: [AnyValue, KeyClass, string][] = [[root, rootClass, rootKey]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [value, keyClass, key] = item;
      if ('stringValue' in value) {
        const scrubbed = this.string(value.stringValue, keyClass, key, tally);
        if (scrubbed !== value.stringValue) value.stringValue = scrubbed;
      } else if ('bytesValue' in value) {
        const scrubbed = this.encodedText(value.bytesValue, keyClass, tally);
        if (scrubbed !== value.bytesValue) value.bytesValue = scrubbed;
      } else if ('arrayValue' in value) {
        for (const child of value.arrayValue.values) stack.push([child, keyClass, key]);
      } else if ('kvlistValue' in value) {
        for (const kv of value.kvlistValue.values) {
          stack.push([kv.value, keyClass === 'secret' ? 'secret' : this.classOf(kv.key), kv.key]);
        }
      }
    }
  }

  private string(text: string, keyClass: KeyClass, key: string, tally: RedactionTally): string {
    if (keyClass !== 'plain') return this.sensitive(text, keyClass, tally);
    // Base64 text (an artifact's `artifact.content_base64`) is scrubbed as the text it encodes.
    if (key.endsWith('base64')) return this.encodedText(text, keyClass, tally);
    return this.text(text, tally);
  }

  /** Base64 of UTF-8 text is scrubbed as that text and encoded again; anything else is left as it is. */
  private encodedText(base64: string, keyClass: KeyClass, tally: RedactionTally): string {
    let decoded: string;
    try {
      decoded = utf8.decode(Buffer.from(base64, 'base64'));
    } catch {
      return base64;
    }
    const scrubbed = keyClass === 'plain' ? this.text(decoded, tally) : this.sensitive(decoded, keyClass, tally);
    return scrubbed === decoded ? base64 : Buffer.from(scrubbed, 'utf8').toString('base64');
  }

  /**
   * The value of a sensitive key: replaced whole, by the kind a detector gives the whole value
   * (`Bearer …` stays a bearer credential) or else as `secret`. A `token` key's number stays.
   */
  private sensitive(text: string, keyClass: KeyClass, tally: RedactionTally): string {
    if (!this.byKey) return this.text(text, tally);
    if (text === '' || isReplacement(text) || (keyClass === 'token' && isNumeric(text))) return text;
    this.tally = tally;
    for (const pass of this.values) {
      if (!pass.whole.test(text)) continue;
      const whole = pass.replace(text, this.decide, { digit: true });
      if (whole !== text) return whole;
    }
    return this.substitute('secret', text);
  }

  /** The replacement of one match, or null to leave it. */
  private onMatch(pass: Pass, found: Found): string | null {
    const { detector } = pass;
    const { prefix, secret, suffix, start, text } = found;
    if (isReplacement(secret) || (detector.check !== undefined && !detector.check(secret))) return null;
    if (detector !== ASSIGNMENT) return prefix + this.substitute(detector.kind, secret) + suffix;
    // `key = value` in text: the key's name decides, as for an attribute's.
    const before = this.keyBefore(start, text);
    if (insideReplacement(text, start - before.length)) return null;
    const keyClass = this.classOf(before + keyAt(prefix));
    if (keyClass === 'plain') return prefix + this.run(this.values, secret) + suffix;
    return prefix + this.sensitive(secret, keyClass, this.tally) + suffix;
  }

  /** The part of a key written before the sensitive word the match starts at (`x-` of `x-api-key`). */
  private keyBefore(offset: number, text: string): string {
    let start = offset;
    while (start > 0 && offset - start < KEY_LOOKBACK && KEY_CHAR.test(text[start - 1]!)) start--;
    return text.slice(start, offset);
  }

  private substitute(kind: string, secret: string): string {
    if (isReplacement(secret)) return secret;
    this.tally.add(kind);
    return this.replace(kind, secret);
  }

  private classOf(key: string): KeyClass {
    return this.byKey ? this.keys.classify(key) : 'plain';
  }
}

/** What scanning one text gave. */
interface Scanned {
  out: string;
  counts: [string, number][];
}

/** The result of every text that had nothing to replace. */
const UNCHANGED: Scanned = { out: '', counts: [] };

/**
 * Results for short texts, bounded in count and length (a sender inventing values cannot grow
 * it): cleared when full, which costs one rescan per text. Raw values stay in memory only.
 */
class RecentTexts {
  readonly maxLength = 256;
  private readonly map = new Map<string, Scanned>();

  constructor(private readonly maxEntries = 8192) {}

  get(text: string): Scanned | undefined {
    return this.map.get(text);
  }

  set(text: string, scanned: Scanned): void {
    if (this.map.size >= this.maxEntries) this.map.clear();
    this.map.set(text, scanned);
  }
}

/** Whether the key starting at `start` is the kind of an `[<kind>:<hmac>]` replacement (`[url_password:…]`). */
function insideReplacement(text: string, start: number): boolean {
  if (text.charCodeAt(start - 1) !== 91 /* [ */) return false;
  const close = text.indexOf(']', start);
  return close !== -1 && isReplacement(text.slice(start - 1, close + 1));
}

/** The key at the start of an assignment match (up to its quote or separator). */
function keyAt(prefix: string): string {
  return /^[A-Za-z0-9_.-]*/.exec(prefix)![0];
}
