import { crc32 } from 'node:zlib';

/** What a WAL record holds: one request's decompressed body, tagged with signal and format. */
export const RecordType = {
  TRACES_PROTOBUF: 1,
  TRACES_JSON: 2,
  LOGS_PROTOBUF: 3,
  LOGS_JSON: 4,
} as const;

/** One of {@link RecordType}'s values. */
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

const MAGIC = 0xa7;
/** magic u8, type u8, reserved u16, payload length u32 LE, CRC-32 u32 LE. */
export const HEADER_BYTES = 12;
const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

/** A record read back from a segment. */
export interface WalRecord {
  type: RecordTypeValue;
  payload: Buffer;
  /** Byte offset of the record in its segment. */
  offset: number;
}

/** Frames `payload` as one record; the checksum covers the header fields and the payload. */
export function encodeRecord(type: RecordTypeValue, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(MAGIC, 0);
  header.writeUInt8(type, 1);
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(crc32(payload, crc32(header.subarray(0, 8))), 8);
  return Buffer.concat([header, payload]);
}

/** The records of a segment, and where its valid part ends. */
export interface ParsedSegment {
  records: WalRecord[];
  /** Offset after the last valid record: everything from here on is torn or corrupt. */
  validBytes: number;
  /** Why reading stopped before the end, or null when the whole segment was valid. */
  problem: string | null;
}

/**
 * Reads records from a segment's bytes until the end or the first record that is cut short
 * or fails its checksum (a crash mid-append leaves such a torn tail). Nothing after a bad
 * record is trusted, since its length field may itself be garbage.
 */
export function parseSegment(bytes: Buffer): ParsedSegment {
  const records: WalRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const problem = checkRecordAt(bytes, offset);
    if (problem) return { records, validBytes: offset, problem };
    const length = bytes.readUInt32LE(offset + 4);
    const payload = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    records.push({ type: bytes.readUInt8(offset + 1) as RecordTypeValue, payload, offset });
    offset += HEADER_BYTES + length;
  }
  return { records, validBytes: offset, problem: null };
}

function checkRecordAt(bytes: Buffer, offset: number): string | null {
  const left = bytes.length - offset;
  if (left < HEADER_BYTES) return `a record header is cut short (${left} of ${HEADER_BYTES} bytes)`;
  if (bytes.readUInt8(offset) !== MAGIC || !KNOWN_TYPES.has(bytes.readUInt8(offset + 1))) {
    return 'a record header is not valid';
  }
  const length = bytes.readUInt32LE(offset + 4);
  if (left - HEADER_BYTES < length) return `a record is cut short (${left - HEADER_BYTES} of ${length} bytes)`;
  const payload = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  const expected = crc32(payload, crc32(bytes.subarray(offset, offset + 8)));
  return expected === bytes.readUInt32LE(offset + 8) ? null : 'a record fails its checksum';
}
