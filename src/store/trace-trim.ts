import { join } from 'node:path';
import { StatusCode } from '../model/index.js';
import { CorruptRunFileError } from './errors.js';
import { runDirectory } from './layout.js';
import { parseMetadata, renderMetadataFields } from './metadata.js';
import type { RunRef } from './writer.js';
import { readStoredText, writeStoredAtomic } from './stored-file.js';

interface JsonSpan {
  spanId?: string;
  parentSpanId?: string;
  status?: { code?: number | string };
}
interface JsonScopeSpans {
  spans?: JsonSpan[];
}
interface JsonResourceSpans {
  scopeSpans?: JsonScopeSpans[];
}

/** A trimmed `trace.json`: its text and how many spans it kept of how many. */
export interface TrimmedTrace {
  text: string;
  kept: number;
  total: number;
}

const isError = (span: JsonSpan): boolean =>
  span.status?.code === StatusCode.ERROR || span.status?.code === 'STATUS_CODE_ERROR';

/**
 * Keeps of an OTLP/JSON `trace.json` only what a sampled-out run still needs: its roots
 * (spans without a parent in the file) and its error spans, in their resource and scope
 * blocks; empty blocks go. The result is still a valid `ExportTraceServiceRequest`.
 * Throws {@link CorruptRunFileError} when the text is not one.
 */
export function trimTrace(text: string, where: string): TrimmedTrace {
  let request: { resourceSpans?: JsonResourceSpans[] };
  try {
    request = JSON.parse(text) as typeof request;
  } catch (err) {
    throw new CorruptRunFileError(`the trace.json of ${where} is not JSON`, { cause: err });
  }
  if (!Array.isArray(request.resourceSpans)) throw new CorruptRunFileError(`the trace.json of ${where} has no resourceSpans`);
  const all = request.resourceSpans.flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
  const ids = new Set(all.map((span) => span.spanId));
  const keep = (span: JsonSpan): boolean => !span.parentSpanId || !ids.has(span.parentSpanId) || isError(span);
  const resourceSpans = request.resourceSpans
    .map((rs) => ({
      ...rs,
      scopeSpans: (rs.scopeSpans ?? []).map((ss) => ({ ...ss, spans: (ss.spans ?? []).filter(keep) })).filter((ss) => ss.spans.length > 0),
    }))
    .filter((rs) => rs.scopeSpans.length > 0);
  const kept = resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
  return { text: JSON.stringify({ ...request, resourceSpans }), kept, total: all.length };
}

/**
 * Trims a live run's `trace.json` (see {@link trimTrace}) and then marks its metadata
 * `trace_sampled: false`; each file is replaced atomically, and trimming twice gives the same
 * file, so a run interrupted between the two is finished by doing it again. Returns the new
 * metadata fields and the span counts.
 */
export async function trimRunTrace(runsDir: string, location: RunRef): Promise<{ metadata: Record<string, unknown>; trimmed: TrimmedTrace }> {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const tracePath = join(dir, 'trace.json');
  const metadataPath = join(dir, 'metadata.yaml');
  const trimmed = trimTrace(await readStoredText(tracePath), location.runId);
  await writeStoredAtomic(tracePath, trimmed.text);
  const metadata = { ...parseMetadata(await readStoredText(metadataPath)), trace_sampled: false };
  await writeStoredAtomic(metadataPath, renderMetadataFields(metadata));
  return { metadata, trimmed };
}
