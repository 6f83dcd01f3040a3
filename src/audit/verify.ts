import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditDir, monthFiles, readAnchor, readHead, splitLines } from './files.js';
import { checkLine, GENESIS_HASH } from './line.js';

/** The first problem `audit verify` found: the file, the 1-based line, and what is wrong. */
export interface AuditProblem {
  file: string;
  line: number;
  message: string;
}

/** What `audit verify` reports. */
export interface AuditReport {
  files: number;
  lines: number;
  /** The newest hash, null for an empty trail. */
  head: string | null;
  problem: AuditProblem | null;
}

/** One line's place and hash, as the walk remembers the last two. */
interface Seen {
  file: string;
  line: number;
  hash: string;
}

/**
 * Checks the trail of `runsDir` from its first line (or the pruning anchor) to the recorded
 * newest hash: every line must be exactly as written, hash its own content, and chain to the
 * line before it; the last line must be the recorded newest one. Reports the first problem
 * with the line it concerns: an edited line, an inserted line (the lines around it chain to
 * each other), the first line after removed ones, or the removed last line.
 */
export async function verifyAudit(runsDir: string): Promise<AuditReport> {
  const dir = auditDir(runsDir);
  const anchor = await readAnchor(dir);
  const files = (await monthFiles(dir)).filter((file) => !anchor || file >= anchor.file);
  const report = (problem: AuditProblem | null, lines: number, head: string | null): AuditReport => ({ files: files.length, lines, head, problem });
  if (anchor && files[0] !== anchor.file) {
    return report({ file: anchor.file, line: 1, message: 'the oldest month kept is missing: the file was removed' }, 0, null);
  }
  let prev: Seen = { file: '', line: 0, hash: anchor?.prev_hash ?? GENESIS_HASH };
  let before: Seen | null = null;
  let total = 0;
  for (const file of files) {
    const { lines, rest } = splitLines(await readFile(join(dir, file), 'utf8'));
    for (const [index, text] of lines.entries()) {
      const here = { file, line: index + 1 };
      const checked = checkLine(text);
      if ('problem' in checked) return report({ ...here, message: `the line ${checked.problem}` }, total, null);
      const { line } = checked;
      if (line.prev_hash !== prev.hash) {
        if (before && line.prev_hash === before.hash) {
          return report({ file: prev.file, line: prev.line, message: 'the line was inserted: the line after it chains to the line before it' }, total, null);
        }
        const what = prev.line === 0 ? 'the first line does not start the chain: lines before it were removed' : 'the line does not chain to the line before it: a line was removed before it, or the line before it was edited';
        return report({ ...here, message: what }, total, null);
      }
      before = prev;
      prev = { ...here, hash: line.hash };
      total++;
    }
    if (rest !== '') return report({ file, line: lines.length + 1, message: 'the last line is incomplete (a crash tore it; the daemon cuts it at its next start)' }, total, null);
  }
  return report(await checkHead(dir, prev, total), total, total > 0 ? prev.hash : null);
}

/** Compares the end of the walk with the newest hash recorded apart. */
async function checkHead(dir: string, last: Seen, total: number): Promise<AuditProblem | null> {
  const head = await readHead(dir);
  if (!head) return total === 0 ? null : { file: last.file, line: last.line, message: 'the newest hash is not recorded (head.json is missing)' };
  if (head.hash === last.hash && head.file === last.file && head.lines === last.line) return null;
  if (head.file === last.file && head.lines > last.line) {
    return { file: head.file, line: last.line + 1, message: `the line was removed: the newest recorded line is line ${head.lines}, the file ends at line ${last.line}` };
  }
  if (head.file > last.file || total === 0) {
    return { file: head.file, line: head.lines, message: 'the line was removed: the newest recorded line is not in the trail' };
  }
  return { file: last.file, line: last.line, message: 'the line was added after the newest recorded line (inserted, or written by a process that crashed: starting the daemon adopts it)' };
}
