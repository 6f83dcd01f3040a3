import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';
import type { RunKind, RunLogLine, RunRecord, WorkflowRunRecord } from '../model/index.js';
import { countFiles, listEntries, writeArtifacts } from './artifacts.js';
import type { SkippedArtifact } from './artifacts.js';
import { StoreError, errnoOf, storeOp } from './errors.js';
import { runDirectory, sanitizeStepId } from './layout.js';
import { mergeLogs } from './logs-format.js';
import { metadataFields, renderMetadataFields } from './metadata.js';
import { readTextIfExists } from './read-text.js';

/** Everything needed to write one run directory. */
export interface RunWrite {
  runId: string;
  record: RunRecord;
  /** The run's spans as OTLP/JSON text, written verbatim to `trace.json`. */
  traceJson: string;
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
}

/** Where a run lives: its kind and id. */
export interface RunRef {
  kind: RunKind;
  runId: string;
}

/** The run files {@link readRunFile} can read. */
export type RunFileName = 'metadata.yaml' | 'trace.json' | 'logs.txt' | 'input.json' | 'output.json';

/**
 * Writes (or re-writes) one run directory, every file atomically: artifacts first (and, for
 * workflows, `steps/{step_id}/` with input, output and artifacts), then `input.json`,
 * `output.json`, `trace.json`, `logs.txt`, and `metadata.yaml` last, so a metadata file with
 * a final status means the rest is complete. Artifacts already on disk are never deleted, and
 * neither are lines of an existing `logs.txt` (records that came after an earlier write).
 * `artifacts_count` is what is on disk afterwards. Callers must not write the same run
 * concurrently. Throws {@link StoreError} (with the errno code) when the file system fails.
 */
export async function writeRun(runsDir: string, write: RunWrite, options: WriteRunOptions = {}): Promise<RunWriteResult> {
  const { runId, record } = write;
  const dir = runDirectory(runsDir, record.kind, runId);
  // A directory made now holds nothing but what this write puts there: no logs to keep,
  // no artifacts to count but the ones written.
  const fresh = (await storeOp('mkdir', dir, () => mkdir(dir, { recursive: true }))) !== undefined;
  const result: RunWriteResult = { dir, artifactsCount: 0, bytesWritten: 0, skippedArtifacts: [], metadata: {} };
  if (!options.metadataOnly) await writeContent(dir, write, result, fresh);
  else if (fresh) Object.assign(result, { input: null, output: null });
  const noArtifacts = fresh && !hasArtifacts(record);
  result.artifactsCount = noArtifacts ? 0 : await countRunArtifacts(dir, record.kind);
  result.metadata = metadataFields(runId, record, { artifactsCount: result.artifactsCount });
  result.bytesWritten += await writeText(join(dir, 'metadata.yaml'), renderMetadataFields(result.metadata));
  return result;
}

/**
 * Renames a run directory (its kind or id changed). Creates the target's parent; does
 * nothing when `from` and `to` are the same or the source does not exist. Throws
 * {@link StoreError} (`ENOTEMPTY`/`EEXIST`) when a non-empty target already exists.
 */
export async function moveRun(runsDir: string, from: RunRef, to: RunRef): Promise<void> {
  const source = runDirectory(runsDir, from.kind, from.runId);
  const target = runDirectory(runsDir, to.kind, to.runId);
  if (source === target) return;
  await storeOp('mkdir', dirname(target), () => mkdir(dirname(target), { recursive: true }));
  try {
    await rename(source, target);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw new StoreError('rename', `${source} to ${target}`, err);
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
export async function appendRunLogs(runsDir: string, location: RunRef, lines: readonly RunLogLine[]): Promise<boolean> {
  const dir = runDirectory(runsDir, location.kind, location.runId);
  const exists = await storeOp('read', dir, () => stat(dir).then(() => true, (err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }));
  if (exists) await writeLogs(join(dir, 'logs.txt'), lines);
  return exists;
}

/** Deletes a run directory and everything in it; nothing happens when it does not exist. */
export async function removeRun(runsDir: string, kind: RunKind, runId: string): Promise<void> {
  const dir = runDirectory(runsDir, kind, runId);
  await storeOp('remove', dir, () => rm(dir, { recursive: true, force: true }));
}

async function writeContent(dir: string, write: RunWrite, result: RunWriteResult, fresh: boolean): Promise<void> {
  const { record } = write;
  await addArtifacts(join(dir, 'artifacts'), record.artifacts, result);
  if (record.kind === 'workflow') await writeSteps(dir, record, result);
  result.input = jsonText(record.input);
  result.output = jsonText(record.output);
  result.bytesWritten += await writeText(join(dir, 'input.json'), result.input);
  result.bytesWritten += await writeText(join(dir, 'output.json'), result.output);
  result.bytesWritten += await writeText(join(dir, 'trace.json'), write.traceJson);
  const logsPath = join(dir, 'logs.txt');
  result.bytesWritten += fresh ? await writeText(logsPath, mergeLogs('', record.logs)) : await writeLogs(logsPath, record.logs);
}

/** Whether the record has artifacts to write, of the run or of any step. */
function hasArtifacts(record: RunRecord): boolean {
  return record.artifacts.length > 0 || (record.kind === 'workflow' && record.steps.some((s) => s.artifacts.length > 0));
}

async function writeSteps(dir: string, record: WorkflowRunRecord, result: RunWriteResult): Promise<void> {
  for (const step of record.steps) {
    const stepDir = join(dir, 'steps', sanitizeStepId(step.stepId));
    await addArtifacts(join(stepDir, 'artifacts'), step.artifacts, result);
    result.bytesWritten += await writeJson(join(stepDir, 'input.json'), step.input);
    result.bytesWritten += await writeJson(join(stepDir, 'output.json'), step.output);
  }
}

async function addArtifacts(folder: string, artifacts: RunRecord['artifacts'], result: RunWriteResult): Promise<void> {
  const outcome = await writeArtifacts(folder, artifacts);
  result.bytesWritten += outcome.bytesWritten;
  result.skippedArtifacts.push(...outcome.skipped);
}

/** Run-level artifacts plus, for workflows, those of every step folder on disk. */
async function countRunArtifacts(dir: string, kind: RunKind): Promise<number> {
  let count = await countFiles(join(dir, 'artifacts'));
  if (kind !== 'workflow') return count;
  const stepsDir = join(dir, 'steps');
  const steps = await listEntries(stepsDir);
  for (const step of steps) {
    if (step.isDirectory()) count += await countFiles(join(stepsDir, step.name, 'artifacts'));
  }
  return count;
}

async function writeJson(path: string, value: unknown): Promise<number> {
  return writeText(path, jsonText(value));
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value ?? null, null, 2)}\n`;
}

async function writeLogs(path: string, lines: readonly RunLogLine[]): Promise<number> {
  return writeText(path, mergeLogs((await readTextIfExists(path)) ?? '', lines));
}

async function writeText(path: string, text: string): Promise<number> {
  await storeOp('write', path, () => writeFileAtomic(path, text));
  return Buffer.byteLength(text);
}
