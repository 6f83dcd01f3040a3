import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunKind } from '../../model/index.js';
import { codecOf } from '../codec.js';
import { errnoOf, storeOp } from '../errors.js';
import { runDirectory } from '../layout.js';
import { parseMetadata } from '../metadata.js';
import { isPinned } from '../pin.js';
import { directoryBytes } from '../size.js';
import type { RunRef } from '../writer.js';

/** One run as the index holds it: the columns it filters on plus the whole metadata. */
export interface CatalogEntry {
  runId: string;
  kind: RunKind;
  /** agent_id or workflow_id. */
  subject: string | null;
  traceId: string | null;
  status: string | null;
  startedMs: number | null;
  durationSeconds: number | null;
  model: string | null;
  project: string | null;
  /** session_id: the conversation or thread the run belongs to. */
  session: string | null;
  tokens: number;
  costUsd: number;
  pinned: boolean;
  /** mtime of metadata.yaml when read: a newer file means the entry is stale. */
  mtimeMs: number;
  /** Bytes of the run directory's files. */
  bytes: number;
  /** Lower-cased names, input and output, for `--text`. */
  text: string;
  metadata: Record<string, unknown>;
}

/**
 * What a writer has just put in a run directory, so the index need not read it back:
 * metadata.yaml's values, and `input.json`/`output.json` text when known (null: no such
 * file; undefined: not known, read from disk).
 */
export interface RunContent {
  metadata: Record<string, unknown>;
  input?: string | null;
  output?: string | null;
  /** metadata.yaml's mtime, when the writer knows it (else read from disk). */
  mtimeMs?: number;
  /** The run directory's bytes, when the writer counted them after writing (else counted here). */
  bytes?: number;
}

// Enough of input.json/output.json for a substring search; a run's huge output should not
// make the index huge. Matches past this point are not found.
const TEXT_BYTES = 64 * 1024;

/**
 * Reads one run directory into an index entry; null when it has no readable metadata.yaml
 * yet (a directory being copied in) or the file is not metadata. `written` is the metadata
 * the caller has just written, which spares reading and parsing the file again. Other I/O
 * errors throw.
 */
export async function readCatalogEntry(
  runsDir: string,
  location: RunRef,
  written?: RunContent,
): Promise<CatalogEntry | null> {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const known = written ? await knownMetadata(runsDir, location, written) : await readMetadata(join(dir, 'metadata.yaml'));
  if (known === null) return null;
  const { metadata, mtimeMs } = known;
  const [input, output, pinned, bytes] = await Promise.all([
    written?.input !== undefined ? headOf(written.input) : readHead(join(dir, 'input.json'), TEXT_BYTES),
    written?.output !== undefined ? headOf(written.output) : readHead(join(dir, 'output.json'), TEXT_BYTES),
    isPinned(runsDir, location),
    written?.bytes ?? directoryBytes(dir),
  ]);
  const subject = subjectOf(location.kind, metadata);
  const name = location.kind === 'agent' ? metadata.agent_name : metadata.workflow_name;
  return {
    runId: location.runId,
    kind: location.kind,
    subject,
    traceId: str(metadata.trace_id),
    status: str(metadata.status),
    startedMs: timeOf(metadata.started_at),
    durationSeconds: num(metadata.duration_seconds),
    model: str(metadata.model),
    project: str(metadata.project),
    session: str(metadata.session_id),
    tokens: num(location.kind === 'agent' ? metadata.tokens_used : metadata.tokens_total) ?? 0,
    costUsd: num(location.kind === 'agent' ? metadata.cost_usd : metadata.cost_total_usd) ?? 0,
    pinned,
    mtimeMs,
    bytes,
    text: [subject, str(name), input?.text, output?.text].filter(Boolean).join('\n').toLowerCase(),
    metadata,
  };
}

interface Metadata {
  metadata: Record<string, unknown>;
  mtimeMs: number;
}

/** A run's metadata.yaml, parsed, and its mtime; null when missing or not metadata. */
async function readMetadata(path: string): Promise<Metadata | null> {
  const head = await readHead(path, Number.MAX_SAFE_INTEGER);
  if (head === null) return null;
  try {
    return { metadata: parseMetadata(head.text), mtimeMs: head.mtimeMs };
  } catch {
    return null;
  }
}

async function knownMetadata(runsDir: string, location: RunRef, written: RunContent): Promise<Metadata | null> {
  const { metadata } = written;
  const mtimeMs = written.mtimeMs ?? (await metadataMtime(runsDir, location));
  return mtimeMs === null ? null : { metadata, mtimeMs };
}

/** The first `maxBytes` of a file as UTF-8 and its mtime; null when it does not exist. */
async function readHead(path: string, maxBytes: number): Promise<{ text: string; mtimeMs: number } | null> {
  return storeOp('read', path, async () => {
    try {
      const handle = await open(path, 'r');
      try {
        const info = await handle.stat();
        const codec = codecOf(path);
        // An envelope opens whole (it is authenticated as a whole); run files are small.
        if (codec.encrypted) {
          const content = codec.open(path, await handle.readFile());
          return { text: content.subarray(0, Math.min(content.length, maxBytes)).toString('utf8'), mtimeMs: info.mtimeMs };
        }
        const length = Math.min(info.size, maxBytes);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, 0);
        return { text: buffer.toString('utf8'), mtimeMs: info.mtimeMs };
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return null;
      throw err;
    }
  });
}

/** What {@link readHead} would read of a file holding `text` (null: no file). */
function headOf(text: string | null): { text: string } | null {
  if (text === null) return null;
  // At most 3 UTF-8 bytes per UTF-16 unit: shorter texts fit whole.
  if (text.length * 3 <= TEXT_BYTES) return { text };
  return { text: Buffer.from(text).subarray(0, TEXT_BYTES).toString('utf8') };
}

/** mtime of a run's metadata.yaml, or null when it has none. */
export async function metadataMtime(runsDir: string, location: RunRef): Promise<number | null> {
  const path = join(runDirectory(runsDir, location.kind, location.runId), 'metadata.yaml');
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

/** A run's subject: the agent_id of an agent run, the workflow_id of a workflow run; null when unknown. */
export function subjectOf(kind: RunKind, metadata: Record<string, unknown>): string | null {
  return str(kind === 'agent' ? metadata.agent_id : metadata.workflow_id);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function timeOf(value: unknown): number | null {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
}
