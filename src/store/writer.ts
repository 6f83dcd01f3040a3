import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunKind, RunLogLine, RunRecord, WorkflowRunRecord } from '../model/index.js';
import { countFiles, writeArtifacts } from './artifacts.js';
import type { SkippedArtifact } from './artifacts.js';
import { StoreError, storeOp } from './errors.js';
import { runDirectory, sanitizeStepId } from './layout.js';
import { mergeLogs } from './logs-format.js';
import { metadataFields, parseMetadata, renderMetadataFields } from './metadata.js';
import { readStoredTextIfExists as readTextIfExists } from './stored-file.js';
import { RunFiles, type FileContent } from './run-io.js';

/** Everything needed to write one run directory. */
export interface RunWrite {
  runId: string;
  record: RunRecord;
  /** The run's spans as OTLP/JSON (text, or its UTF-8 bytes in chunks), written verbatim to `trace.json`. */
  traceJson: FileContent;
}

/** Options of {@link writeRun}. */
export interface WriteRunOptions {
  /** Write only the directory and `metadata.yaml` (e.g. a run first seen, still running). */
  metadataOnly?: boolean;
}

/** What {@link writeRun} did. */
export interface RunWriteResult {
  dir: string;
  /** Files now in `artifacts/` (and the steps' artifact folders), as written to metadata. */
  artifactsCount: number;
  bytesWritten: number;
  /** Artifacts not written: a path clash between two of them, or a path leaving the folder. */
  skippedArtifacts: SkippedArtifact[];
  /** The values written to `metadata.yaml`, so callers (the index) need not read them back. */
  metadata: Record<string, unknown>;
  /**
   * The text of `input.json` and `output.json` now on disk, when this write knows it (it
   * wrote them, or made the directory and wrote none): null for no file, undefined when
   * not known. Spares the index reading them back.
   */
  input?: string | null;
  output?: string | null;
  /** metadata.yaml's mtime after this write (the index need not stat it). */
  mtimeMs?: number;
}

/** Where a run lives: its kind and id. */
export interface RunRef {
  kind: RunKind;
  runId: string;
}

/**
 * The files of a run directory, in the order {@link writeRun} writes them: `metadata.yaml`
 * last, so its final status means the rest is complete. (Artifacts and, for workflows, the
 * steps' folders come first.)
 */
export const RUN_FILES = ['input.json', 'output.json', 'trace.json', 'logs.txt', 'metadata.yaml'] as const;

/** The run files {@link readRunFile} can read. */
export type RunFileName = (typeof RUN_FILES)[number];

type ContentFile = Exclude<RunFileName, 'metadata.yaml'>;
const CONTENT_FILES = RUN_FILES.filter((f): f is ContentFile => f !== 'metadata.yaml');

/**
 * Writes (or re-writes) one run directory through `io`, every file atomically: artifacts
 * first (and, for workflows, `steps/{step_id}/` with input, output and artifacts), then the
 * {@link RUN_FILES} in their order, `metadata.yaml` last, so a metadata file with a final
 * status means the rest is complete. Artifacts already on disk are never deleted, and
 * neither are lines of an existing `logs.txt` (records that came after an earlier write).
 * `artifacts_count` is what is on disk afterwards. Synchronous: callers run it off the
 * event loop (the run-store exporter's worker) or where blocking is fine (tests, the CLI).
 * Callers must not write the same run concurrently. Throws {@link StoreError} (with the
 * errno code) when the file system fails.
 */
export function writeRun(runsDir: string, write: RunWrite, options: WriteRunOptions = {}, io = new RunFiles()): RunWriteResult {
  const { runId, record } = write;
  const dir = runDirectory(runsDir, record.kind, runId);
  // A directory made now holds nothing but what this write puts there: no logs to keep,
  // no artifacts to count but the ones written.
  const fresh = io.makeDir(dir);
  const result: RunWriteResult = { dir, artifactsCount: 0, bytesWritten: 0, skippedArtifacts: [], metadata: {} };
  if (!options.metadataOnly) writeContent(io, dir, write, result, fresh);
  else if (fresh) Object.assign(result, { input: null, output: null });
  const noArtifacts = fresh && !hasArtifacts(record);
  result.artifactsCount = noArtifacts ? 0 : countRunArtifacts(io, dir, record.kind);
  result.metadata = metadataFields(runId, record, { artifactsCount: result.artifactsCount });
  const metadataPath = join(dir, 'metadata.yaml');
  result.bytesWritten += io.writeAtomic(metadataPath, renderMetadataFields(result.metadata));
  result.mtimeMs = io.mtimeMs(metadataPath);
  return result;
}

/**
 * Renames a run directory (its kind or id changed) through `io`. Creates the target's
 * parent; does nothing when `from` and `to` are the same or the source does not exist.
 * Throws {@link StoreError} (`ENOTEMPTY`/`EEXIST`) when a non-empty target already exists.
 */
export function moveRun(runsDir: string, from: RunRef, to: RunRef, io = new RunFiles()): void {
  const source = runDirectory(runsDir, from.kind, from.runId);
  const target = runDirectory(runsDir, to.kind, to.runId);
  if (source === target) return;
  io.makeDir(dirname(target));
  try {
    io.rename(source, target);
  } catch (err) {
    if (!(err instanceof StoreError) || err.errnoCode !== 'ENOENT') throw err;
  }
}

/** The text of one run file, or null when the run or the file does not exist. */
export function readRunFile(runsDir: string, kind: RunKind, runId: string, file: RunFileName): Promise<string | null> {
  return readTextIfExists(join(runDirectory(runsDir, kind, runId), file));
}

/**
 * Adds lines to the `logs.txt` of a stored run in time order, atomically (read, merge, temp
 * file + rename), touching no other file; lines already there are not repeated. Returns
 * false, writing nothing, when the run's directory does not exist. Callers must not write
 * the same run concurrently.
 */
export function appendRunLogs(runsDir: string, location: RunRef, lines: readonly RunLogLine[], io = new RunFiles()): boolean {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const exists = io.list(dir).length > 0;
  if (exists) writeLogs(io, join(dir, 'logs.txt'), lines);
  return exists;
}

/**
 * Counts a run's artifacts on disk again and, when `metadata.yaml` says otherwise, rewrites
 * it with the count (atomically, nothing else changed). Resolves with the fields written, or
 * null when nothing changed or the run has no metadata. Callers must not write the same run
 * concurrently.
 */
export function refreshArtifactsCount(runsDir: string, location: RunRef, io = new RunFiles()): Record<string, unknown> | null {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const text = io.readText(join(dir, 'metadata.yaml'));
  if (text === null) return null;
  const fields = parseMetadata(text);
  const count = countRunArtifacts(io, dir, location.kind);
  if (fields.artifacts_count === count) return null;
  fields.artifacts_count = count;
  io.writeAtomic(join(dir, 'metadata.yaml'), renderMetadataFields(fields));
  return fields;
}

/** Deletes a run directory and everything in it; nothing happens when it does not exist. */
export async function removeRun(runsDir: string, kind: RunKind, runId: string): Promise<void> {
  const dir = runDirectory(runsDir, kind, runId);
  await storeOp('remove', dir, () => rm(dir, { recursive: true, force: true }));
}

function writeContent(io: RunFiles, dir: string, write: RunWrite, result: RunWriteResult, fresh: boolean): void {
  const { record } = write;
  addArtifacts(io, join(dir, 'artifacts'), record.artifacts, result);
  if (record.kind === 'workflow') writeSteps(io, dir, record, result);
  result.input = jsonText(record.input);
  result.output = jsonText(record.output);
  const texts: Record<ContentFile, FileContent> = { 'input.json': result.input, 'output.json': result.output, 'trace.json': write.traceJson, 'logs.txt': '' };
  for (const file of CONTENT_FILES) {
    const path = join(dir, file);
    if (file !== 'logs.txt') result.bytesWritten += io.writeAtomic(path, texts[file]);
    else result.bytesWritten += fresh ? io.writeAtomic(path, mergeLogs('', record.logs)) : writeLogs(io, path, record.logs);
  }
}

/** Whether the record has artifacts to write, of the run or of any step. */
function hasArtifacts(record: RunRecord): boolean {
  return record.artifacts.length > 0 || (record.kind === 'workflow' && record.steps.some((s) => s.artifacts.length > 0));
}

function writeSteps(io: RunFiles, dir: string, record: WorkflowRunRecord, result: RunWriteResult): void {
  for (const step of record.steps) {
    const stepDir = join(dir, 'steps', sanitizeStepId(step.stepId));
    addArtifacts(io, join(stepDir, 'artifacts'), step.artifacts, result);
    result.bytesWritten += io.writeAtomic(join(stepDir, 'input.json'), jsonText(step.input));
    result.bytesWritten += io.writeAtomic(join(stepDir, 'output.json'), jsonText(step.output));
  }
}

function addArtifacts(io: RunFiles, folder: string, artifacts: RunRecord['artifacts'], result: RunWriteResult): void {
  const outcome = writeArtifacts(io, folder, artifacts);
  result.bytesWritten += outcome.bytesWritten;
  for (const skipped of outcome.skipped) result.skippedArtifacts.push(skipped);
}

/** Run-level artifacts plus, for workflows, those of every step folder on disk. */
function countRunArtifacts(io: RunFiles, dir: string, kind: RunKind): number {
  let count = countFiles(io, join(dir, 'artifacts'));
  if (kind !== 'workflow') return count;
  const stepsDir = join(dir, 'steps');
  for (const step of io.list(stepsDir)) {
    if (step.isDirectory()) count += countFiles(io, join(stepsDir, step.name, 'artifacts'));
  }
  return count;
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value ?? null, null, 2)}\n`;
}

function writeLogs(io: RunFiles, path: string, lines: readonly RunLogLine[]): number {
  return io.writeAtomic(path, mergeLogs(io.readText(path) ?? '', lines));
}
