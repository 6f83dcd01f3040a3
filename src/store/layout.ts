import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TIME_LEN, TIME_MAX, encodeTime, ulid } from 'ulid';
import { InvalidInputError } from '../lib/index.js';
import type { RunKind } from '../model/index.js';

// Crockford base32 without I, L, O, U; the first character stops at 7 because a ULID's
// 48-bit time part leaves only three bits for it.
const RUN_ID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;
const DRIVE_PREFIX = /^[A-Za-z]:/;
const SEPARATORS = /[\\/]+/;
const SEGMENT_MAX_BYTES = 255;
const PATH_MAX_BYTES = 1024;

/** The folder under the runs dir that holds runs of `kind`. */
export const KIND_FOLDERS: Readonly<Record<RunKind, string>> = { agent: 'agents', workflow: 'workflows' };

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_LEN = 16;

/**
 * A new run id: a ULID whose time part is `startMs` (floored, clamped to the ULID range), so
 * sorting ids sorts runs by start. With `traceId`, the other 80 bits come from the trace id,
 * so the same trace and start always give the same id (a run re-derived after a crash lands
 * in the directory it already had); without, they are random.
 * Throws {@link InvalidInputError} when `startMs` is not a finite number.
 */
export function newRunId(startMs: number, traceId?: string): string {
  if (!Number.isFinite(startMs)) throw new InvalidInputError(`run start time ${startMs} is not a number`);
  const time = Math.min(Math.max(Math.floor(startMs), 0), TIME_MAX);
  // ulid(0) would mean "now", so the time part is encoded here and only the random part taken.
  return encodeTime(time, TIME_LEN) + (traceId ? base32FromHex(traceId) : ulid().slice(TIME_LEN));
}

/** The first 80 bits of a hex id as 16 Crockford base32 digits. */
function base32FromHex(hex: string): string {
  let value = BigInt(`0x${hex.slice(0, 20).padEnd(20, '0')}`);
  let out = '';
  for (let i = 0; i < RANDOM_LEN; i++) {
    out = CROCKFORD[Number(value & 31n)]! + out;
    value >>= 5n;
  }
  return out;
}

/** True when `id` is a canonical (upper-case) ULID, the only form the store writes. */
export function isValidRunId(id: string): boolean {
  return RUN_ID_PATTERN.test(id);
}

/**
 * The directory of one run: `{runsDir}/agents/{runId}` or `{runsDir}/workflows/{runId}`.
 * Throws {@link InvalidInputError} for an id that is not a run id, so a caller passing user
 * input can never address anything outside the store.
 */
export function runDirectory(runsDir: string, kind: RunKind, runId: string): string {
  if (!isValidRunId(runId)) throw new InvalidInputError(`"${runId}" is not a run id`);
  return join(runsDir, KIND_FOLDERS[kind], runId);
}

/**
 * A relative POSIX path for an artifact name that can never leave the artifacts folder:
 * control characters and a leading drive letter are removed, `/` and `\` both separate,
 * empty, `.` and `..` segments are dropped, each segment is capped at 255 UTF-8 bytes and
 * the whole path at 1024. Returns `"artifact"` when nothing is left.
 * `../../etc/passwd` becomes `etc/passwd`.
 */
export function sanitizeArtifactPath(name: string): string {
  const kept: string[] = [];
  let bytes = 0;
  for (const segment of cleanSegments(name)) {
    const separator = kept.length > 0 ? 1 : 0;
    const fitted = truncateUtf8(segment, PATH_MAX_BYTES - bytes - separator);
    if (isUsableSegment(fitted)) {
      kept.push(fitted);
      bytes += separator + Buffer.byteLength(fitted);
    }
    // A segment cut short means the cap is reached; later ones cannot fit.
    if (fitted !== segment) break;
  }
  return kept.length > 0 ? kept.join('/') : 'artifact';
}

/**
 * A single directory name for a workflow step id, by the rules of
 * {@link sanitizeArtifactPath}; what would have been separate segments are joined with `-`.
 * Returns `"step"` when nothing is left. Slugged ids pass through unchanged.
 */
export function sanitizeStepId(id: string): string {
  const joined = truncateUtf8(cleanSegments(id).join('-'), SEGMENT_MAX_BYTES);
  return isUsableSegment(joined) ? joined : 'step';
}

/**
 * True when `child` resolves strictly inside `parent` (not equal to it). A lexical check;
 * symbolic links are not followed.
 */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !isAbsolute(rel) && rel.split(sep)[0] !== '..';
}

function cleanSegments(name: string): string[] {
  const text = name.replace(CONTROL_CHARS, '').replace(DRIVE_PREFIX, '');
  return text
    .split(SEPARATORS)
    .map((segment) => truncateUtf8(segment, SEGMENT_MAX_BYTES))
    .filter(isUsableSegment);
}

function isUsableSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..';
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that splits no character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
