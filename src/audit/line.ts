import { createHash } from 'node:crypto';

/** What a caller records: who did what to which run, and how it ended. */
export interface AuditEntry {
  /** A token's name, `unknown`, `anonymous`, or `local:<OS user>` for a CLI command on the store. */
  actor: string;
  /** What was done, e.g. `run.read.output`, `run.pin`, `maintenance.retention`, `auth.failure`. */
  action: string;
  run_id?: string;
  /** `ok`, an error code (`not_found`...), or for `auth.failure` the reason. */
  outcome: string;
  /** Refusals of one actor and reason summed into this line (auth failures only). */
  count?: number;
}

/** One line of the trail as written: the entry, its time, and the chain. */
export interface AuditLine extends AuditEntry {
  time: string;
  prev_hash: string;
  hash: string;
}

/** The `prev_hash` of the very first line. */
export const GENESIS_HASH = '0'.repeat(64);

const HASH = /^[0-9a-f]{64}$/;

/** The line's fields but `hash`, in their fixed order: what `hash` is the SHA-256 of. */
function hashedText(line: Omit<AuditLine, 'hash'>): string {
  const ordered: Record<string, unknown> = { time: line.time, actor: line.actor, action: line.action };
  if (line.run_id !== undefined) ordered.run_id = line.run_id;
  ordered.outcome = line.outcome;
  if (line.count !== undefined) ordered.count = line.count;
  ordered.prev_hash = line.prev_hash;
  return JSON.stringify(ordered);
}

/** Chains `entry` (at `time`) after the line whose hash is `prevHash`; returns the line and its text (with `\n`). */
export function chainLine(entry: AuditEntry, time: string, prevHash: string): { line: AuditLine; text: string } {
  const unhashed = { time, ...pick(entry), prev_hash: prevHash };
  const head = hashedText(unhashed);
  const hash = createHash('sha256').update(head).digest('hex');
  return { line: { ...unhashed, hash }, text: `${head.slice(0, -1)},"hash":"${hash}"}\n` };
}

function pick(entry: AuditEntry): AuditEntry {
  const { actor, action, run_id, outcome, count } = entry;
  return { actor, action, outcome, ...(run_id !== undefined ? { run_id } : {}), ...(count !== undefined ? { count } : {}) };
}

/**
 * Reads one line (without its `\n`) and checks it against itself: it must be exactly the text
 * {@link chainLine} writes for its fields, and its hash theirs. Returns the line, or why not.
 */
export function checkLine(text: string): { line: AuditLine } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  const line = parsed as AuditLine;
  const strings = ['time', 'actor', 'action', 'outcome', 'prev_hash', 'hash'] as const;
  if (typeof parsed !== 'object' || parsed === null || strings.some((k) => typeof line[k] !== 'string')) {
    return { problem: 'lacks a field of an audit line' };
  }
  if (!HASH.test(line.prev_hash) || !HASH.test(line.hash)) return { problem: 'has a malformed hash' };
  const { text: expected, line: rebuilt } = chainLine(line, line.time, line.prev_hash);
  if (rebuilt.hash !== line.hash) return { problem: 'does not match its hash: it was edited (or forged and inserted)' };
  if (`${text}\n` !== expected) return { problem: 'is not as it was written: it was edited' };
  return { line };
}
