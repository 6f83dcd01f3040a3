/**
 * Reads protobuf wire format field by field, without recursion: groups (which OTLP never
 * uses) are skipped with a counter, and every length is checked against the enclosing
 * message before it is trusted.
 */
import { InvalidInputError } from '../../lib/index.js';

export const Wire = { VARINT: 0, I64: 1, LEN: 2, START_GROUP: 3, END_GROUP: 4, I32: 5 } as const;

/** A cursor over a protobuf message; each read checks it stays within `end`. */
export class ProtoReader {
  pos = 0;
  /** The low and high 32 bits of the last {@link varint64} or {@link fixed64}. */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Buffer,
    private readonly what: string,
  ) {}

  /** An error naming the message type and what is wrong. */
  invalid(reason: string): InvalidInputError {
    return new InvalidInputError(`the request body is not a valid protobuf ${this.what}: ${reason} at byte ${this.pos}`);
  }

  /** A varint of at most 53 bits, as a number (tags, lengths, counts, enums). */
  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.invalid('a varint runs past the end of its message');
      const b = buf[pos++] as number;
      if (scale <= 2 ** 49) result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 128;
    }
    throw this.invalid('a varint is longer than 10 bytes');
  }

  /** A varint's low 32 bits as an int32 (protobuf enums and int32 fields). */
  int32(end: number): number {
    this.varint64(end);
    return this.lo | 0;
  }

  /** A varint's low 32 bits, unsigned (uint32 fields). */
  uint32(end: number): number {
    this.varint64(end);
    return this.lo >>> 0;
  }

  /** A full 64-bit varint into {@link lo} / {@link hi}. */
  varint64(end: number): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw this.invalid('a varint runs past the end of its message');
      const b = buf[this.pos++] as number;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw this.invalid('a varint is longer than 10 bytes');
  }

  /** A fixed32 field. */
  fixed32(end: number): number {
    this.need(4, end);
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  /** A fixed64 field into {@link lo} / {@link hi}. */
  fixed64(end: number): void {
    this.need(8, end);
    this.lo = this.buf.readUInt32LE(this.pos);
    this.hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
  }

  /** A double field. */
  double(end: number): number {
    this.need(8, end);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** The end offset of a length-delimited field whose length comes next. */
  lengthEnd(end: number): number {
    const length = this.varint(end);
    const fieldEnd = this.pos + length;
    if (fieldEnd > end) throw this.invalid(`a field of ${length} bytes runs past the end of its message`);
    return fieldEnd;
  }

  /** Skips the value of a field of wire type `wire` (an unknown field). */
  skip(wire: number, end: number): void {
    if (wire === Wire.VARINT) this.varint64(end);
    else if (wire === Wire.I64 || wire === Wire.I32) {
      const size = wire === Wire.I64 ? 8 : 4;
      this.need(size, end);
      this.pos += size;
    } else if (wire === Wire.LEN) this.pos = this.lengthEnd(end);
    else if (wire === Wire.START_GROUP) this.skipGroup(end);
    else throw this.invalid(`wire type ${wire} is not valid here`);
  }

  /** Skips a group and the groups nested in it, counting them rather than recursing. */
  private skipGroup(end: number): void {
    let open = 1;
    while (open > 0) {
      const wire = this.varint(end) & 7;
      if (wire === Wire.START_GROUP) open += 1;
      else if (wire === Wire.END_GROUP) open -= 1;
      else this.skip(wire, end);
    }
  }

  private need(bytes: number, end: number): void {
    if (this.pos + bytes > end) throw this.invalid('a fixed-size field runs past the end of its message');
  }
}
