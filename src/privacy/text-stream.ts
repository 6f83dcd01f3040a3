/**
 * Scrubbing a file as it streams to disk (artifact uploads): text (valid UTF-8, whatever its
 * Content-Type) is scrubbed, anything else passes as sent. Whether a file is text is decided
 * on its first {@link SNIFF_BYTES} (all of it when smaller) before a byte goes on; a file
 * that reads as UTF-8 that far and turns out otherwise later keeps its scrubbed start, and its
 * bytes from the first invalid sequence on pass as sent.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Scrubber } from './scrubber.js';
import { RedactionTally } from './tally.js';

/** How much of a file decides whether it is text. */
export const SNIFF_BYTES = 1024 * 1024;
/** Text is scrubbed in pieces of about this many characters, cut at a line end. */
const PIECE_CHARS = 1024 * 1024;
/** Past this without a line end (or inside one PEM block), a piece is cut anyway. */
const MAX_LINE_CHARS = 4 * PIECE_CHARS;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes of `buf` that end on a whole UTF-8 character (a split one waits for the next chunk). */
function wholeCharacters(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/**
 * Where a long text may be cut so that no finding straddles the cut: after its last line end,
 * before a PEM block still open there; 0 to wait for more, unless the text is already too long.
 */
function cutPoint(text: string): number {
  let cut = text.lastIndexOf('\n') + 1;
  const begin = text.lastIndexOf('-----BEGIN', cut);
  if (begin >= 0 && begin > text.lastIndexOf('-----END', cut)) cut = begin;
  return cut === 0 && text.length > MAX_LINE_CHARS ? text.length : cut;
}

/**
 * A transform that scrubs a text file with `scrubber` and passes any other file unchanged;
 * `done` receives what was replaced, per kind, when the stream ends.
 */
export function scrubTextStream(scrubber: Scrubber, done: (counts: RedactionTally) => void): Transform {
  const tally = new RedactionTally();
  let mode: 'sniff' | 'text' | 'binary' = 'sniff';
  let held: Buffer[] = [];
  let heldBytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  let pending = '';

  const emitText = (stream: Transform, all: boolean): void => {
    const cut = all ? pending.length : pending.length > PIECE_CHARS ? cutPoint(pending) : 0;
    if (cut === 0) return;
    stream.push(Buffer.from(scrubber.text(pending.slice(0, cut), tally), 'utf8'));
    pending = pending.slice(cut);
  };

  // Decodes whole characters; on an invalid sequence, what was decoded is scrubbed and the rest passes as sent.
  const takeText = (stream: Transform, chunk: Buffer): void => {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = wholeCharacters(bytes);
    try {
      pending += decoder.decode(bytes.subarray(0, whole));
    } catch {
      emitText(stream, true);
      mode = 'binary';
      stream.push(bytes);
      carry = Buffer.alloc(0);
      return;
    }
    carry = bytes.subarray(whole);
    emitText(stream, false);
  };

  // `end`: the held bytes are the whole file, so a character cut off at its end makes it binary too.
  const decide = (stream: Transform, end: boolean): void => {
    const all = Buffer.concat(held);
    held = [];
    const whole = wholeCharacters(all);
    try {
      if (end && whole !== all.length) throw new Error('cut off');
      decoder.decode(all.subarray(0, whole));
      mode = 'text';
    } catch {
      mode = 'binary';
      stream.push(all);
      return;
    }
    takeText(stream, all);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (mode === 'binary') return callback(null, chunk);
      if (mode === 'text') {
        takeText(this, chunk);
        return callback();
      }
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= SNIFF_BYTES) decide(this, false);
      callback();
    },
    flush(callback: TransformCallback) {
      if (mode === 'sniff') decide(this, true);
      if (mode === 'text') {
        emitText(this, true);
        // A character cut off at the very end is not UTF-8: those bytes go as sent.
        if (carry.length > 0) this.push(carry);
      }
      done(tally);
      callback();
    },
  });
}
