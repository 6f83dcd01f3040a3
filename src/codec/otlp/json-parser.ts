/**
 * A JSON parser for request bodies that never recurses and can stop between any two tokens
 * and resume (the caller slices it, so a 16 MB body never holds the event loop long). It
 * builds what `JSON.parse` would from the body decoded as UTF-8, with one difference: a
 * container nested deeper than `maxDepth` is checked but not built, and stands as
 * {@link TOO_DEEP} in its parent. Every value built is counted in the meter.
 */
import { InvalidInputError } from '../../lib/index.js';
import { HEAP, type DecodeMeter } from './limits.js';

/** What a container nested past the parser's depth stands as. */
export const TOO_DEEP: unique symbol = Symbol('nested too deep');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** What the parser expects next. */
const Expect = { VALUE: 0, FIRST_KEY: 1, KEY: 2, AFTER_VALUE: 3, FIRST_VALUE: 4, END: 5 } as const;
const ARRAY = 1;
const OBJECT = 2;

const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Property names up to this long are interned, in a table of this many slots. */
const MAX_INTERNED = 32;
const INTERNED_SLOTS = 4096;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERNED_SLOTS);

/** True when `key` is the ASCII text of bytes `start` to `end` of `buf`. */
function sameBytes(key: string, buf: Buffer, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/** Buffer's unchecked slicers (what `toString` calls after checking its arguments). */
interface Slicers {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** The incremental parser for one body; see the module comment. */
export class JsonParser {
  private pos = 0;
  private expect: number = Expect.VALUE;
  /** The kind (ARRAY, OBJECT) of every open container, built or not. */
  private kinds = new Uint8Array(64);
  private depth = 0;
  /** The open containers that are built (the first `maxDepth` levels) and their pending keys. */
  private readonly containers: unknown[] = [];
  private readonly keys: string[] = [];
  private root: unknown = undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly maxDepth: number,
    private readonly meter: DecodeMeter,
  ) {
    this.slicer = buf as unknown as Slicers;
  }

  private readonly slicer: Slicers;

  /** Bytes `start` to `end` as text: latin1 is UTF-8 when they are all ASCII, and quicker. */
  private slice(start: number, end: number, ascii: boolean): string {
    return ascii ? this.slicer.latin1Slice(start, end) : this.slicer.utf8Slice(start, end);
  }

  /** The parsed value; valid once {@link step} returned true. */
  get value(): unknown {
    return this.root;
  }

  /** Parses until the end (true) or until `deadline` (performance.now()) passed (false). */
  step(deadline: number): boolean {
    for (let ops = 0; ; ops++) {
      if ((ops & 1023) === 1023 && performance.now() >= deadline) return false;
      const c = this.nextToken();
      if (c === -1) {
        if (this.expect !== Expect.END) throw this.invalid('the body ends before the JSON value does');
        return true;
      }
      this.token(c);
    }
  }

  private token(c: number): void {
    switch (this.expect) {
      case Expect.END: throw this.invalid('unexpected text after the JSON value');
      case Expect.FIRST_KEY:
      case Expect.KEY:
        if (c === CLOSE_OBJECT && this.expect === Expect.FIRST_KEY) return this.close(OBJECT);
        if (c !== QUOTE) throw this.invalid('expected a property name in double quotes');
        this.readKey();
        return;
      case Expect.AFTER_VALUE:
        if (c === CLOSE_OBJECT) return this.close(OBJECT);
        if (c === CLOSE_ARRAY) return this.close(ARRAY);
        if (c !== COMMA) throw this.invalid('expected "," or the end of the container');
        this.expect = this.kinds[this.depth - 1] === OBJECT ? Expect.KEY : Expect.VALUE;
        this.pos++;
        return;
      case Expect.FIRST_VALUE:
        if (c === CLOSE_ARRAY) return this.close(ARRAY);
        this.readValue(c);
        return;
      default:
        this.readValue(c);
    }
  }

  /** Skips whitespace; the byte of the next token, or -1 at the end. */
  private nextToken(): number {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < buf.length) {
      const c = buf[pos] as number;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
    return pos < buf.length ? (buf[pos] as number) : -1;
  }

  private readValue(c: number): void {
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) return this.open(c === OPEN_OBJECT ? OBJECT : ARRAY);
    let value: unknown;
    if (c === QUOTE) value = this.readString();
    else if (c === 0x74) value = this.literal('true', true);
    else if (c === 0x66) value = this.literal('false', false);
    else if (c === 0x6e) value = this.literal('null', null);
    else value = this.readNumber();
    this.emit(value);
  }

  private open(kind: number): void {
    this.pos++;
    if (this.depth === this.kinds.length) {
      const grown = new Uint8Array(this.kinds.length * 2);
      grown.set(this.kinds);
      this.kinds = grown;
    }
    this.kinds[this.depth++] = kind;
    this.meter.add(1);
    if (this.depth <= this.maxDepth) {
      this.containers.push(kind === OBJECT ? {} : []);
      this.keys.push('');
      this.meter.add(HEAP.object(0));
    }
    this.expect = kind === OBJECT ? Expect.FIRST_KEY : Expect.FIRST_VALUE;
  }

  /** Ends the innermost container at its closing bracket. */
  private close(kind: number): void {
    this.pos++;
    if (this.kinds[this.depth - 1] !== kind) throw this.invalid(kind === OBJECT ? 'unexpected "}"' : 'unexpected "]"');
    const built = this.depth <= this.maxDepth;
    this.depth--;
    if (!built) return this.emit(TOO_DEEP);
    this.keys.pop();
    this.emit(this.containers.pop());
  }

  /** Puts a finished value into the container it belongs to (or makes it the result). */
  private emit(value: unknown): void {
    this.expect = this.depth === 0 ? Expect.END : Expect.AFTER_VALUE;
    if (this.depth === 0) {
      this.root = value;
      return;
    }
    if (this.depth > this.maxDepth) return;
    const container = this.containers[this.depth - 1];
    if (this.kinds[this.depth - 1] === ARRAY) {
      (container as unknown[]).push(value);
      this.meter.add(HEAP.arraySlot);
      return;
    }
    const key = this.keys[this.depth - 1] as string;
    // JSON.parse makes every key an own property, `__proto__` too.
    if (key === '__proto__') Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
    else (container as Record<string, unknown>)[key] = value;
    this.meter.add(16);
  }

  private readKey(): void {
    const key = this.internedKey() ?? this.readString();
    if (this.nextToken() !== COLON) throw this.invalid('expected ":" after a property name');
    this.pos++;
    if (this.depth <= this.maxDepth) this.keys[this.depth - 1] = key;
    this.expect = Expect.VALUE;
  }

  /**
   * A short plain ASCII property name at the opening quote, from the table of names seen
   * before (an OTLP request repeats a few dozen names thousands of times); null when it is
   * longer, has escapes or other bytes, and {@link readString} must read it.
   */
  private internedKey(): string | null {
    const buf = this.buf;
    const start = this.pos + 1;
    let hash = 0x811c9dc5;
    let end = start;
    for (; end < buf.length && end - start <= MAX_INTERNED; end++) {
      const c = buf[end] as number;
      if (c === QUOTE) break;
      if (c < 0x20 || c >= 0x80 || c === BACKSLASH) return null;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (end >= buf.length || buf[end] !== QUOTE) return null;
    const slot = (hash >>> 0) & (INTERNED_SLOTS - 1);
    let key = interned[slot];
    if (key === undefined || !sameBytes(key, buf, start, end)) {
      key = this.slicer.latin1Slice(start, end);
      interned[slot] = key;
    }
    this.pos = end + 1;
    this.meter.add(HEAP.string(key.length, key.length));
    return key;
  }

  /** A string token starting at the opening quote; escapes decoded, UTF-8 as Buffer#toString reads it. */
  private readString(): string {
    const buf = this.buf;
    let pos = this.pos + 1;
    let start = pos;
    let text = '';
    let ascii = true;
    for (;;) {
      if (pos >= buf.length) throw this.invalid('a string is not closed');
      const c = buf[pos] as number;
      if (c === QUOTE) break;
      if (c < 0x20) throw this.invalid('a control character in a string');
      if (c >= 0x80) ascii = false;
      if (c !== BACKSLASH) {
        pos++;
        continue;
      }
      text += this.slice(start, pos, ascii);
      const escaped = this.escape(pos);
      // A character past U+00FF makes the string take two bytes a character.
      if (escaped.text.charCodeAt(0) > 0xff) ascii = false;
      text += escaped.text;
      pos = start = escaped.end;
    }
    const last = this.slice(start, pos, ascii);
    text = text === '' ? last : text + last;
    this.pos = pos + 1;
    this.meter.add(HEAP.string(text.length, ascii ? text.length : 2 * text.length));
    return text;
  }

  /** The escape sequence at `pos` (its backslash). */
  private escape(pos: number): { text: string; end: number } {
    const c = this.buf[pos + 1];
    if (c === undefined) throw this.invalid('a string is not closed');
    if (c !== 0x75) {
      const text = ESCAPES[c];
      if (text === undefined) throw this.invalid('an invalid escape in a string');
      return { text, end: pos + 2 };
    }
    const hex = this.buf.toString('latin1', pos + 2, pos + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.invalid('an invalid \\u escape in a string');
    return { text: String.fromCharCode(parseInt(hex, 16)), end: pos + 6 };
  }

  private literal(word: string, value: boolean | null): boolean | null {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.pos + i] !== word.charCodeAt(i)) throw this.invalid('an unknown word');
    }
    this.pos += word.length;
    return value;
  }

  private readNumber(): number {
    const buf = this.buf;
    let end = this.pos;
    while (end < buf.length) {
      const c = buf[end] as number;
      // Digits, sign, dot and exponent; the grammar is checked on the whole token.
      if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)) break;
      end++;
    }
    const text = this.slicer.latin1Slice(this.pos, end);
    if (!NUMBER.test(text)) throw this.invalid(text === '' ? 'an unexpected character' : `"${text.slice(0, 20)}" is not a number`);
    this.pos = end;
    this.meter.add(16);
    return Number(text);
  }

  private invalid(reason: string): InvalidInputError {
    return new InvalidInputError(`the request body is not valid JSON: ${reason} at byte ${this.pos}`);
  }
}
