import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, PayloadTooLargeError } from '../lib/index.js';
import type { RunCatalog } from './catalog/catalog.js';
import { storeOp } from './errors.js';
import { runDirectory, sanitizeArtifactPath } from './layout.js';
import { checkRelativePath } from './run-files.js';
import { RunFiles } from './run-io.js';
import type { RunRef } from './writer.js';

/** Where an uploaded artifact went. */
export interface UploadResult {
  trace_id: string;
  /** The run it landed in; null while the trace has no run directory yet (it is staged). */
  run_id: string | null;
  /** Its path inside the run's `artifacts/`. */
  path: string;
  size: number;
}

/** Uploads for traces without a run directory wait here, one folder per trace id. */
export const UPLOADS_FOLDER = '.uploads';
const TRACE_ID = /^[0-9a-f]{32}$/;

/**
 * Streams an artifact for trace `traceId` into its run's `artifacts/` (found through the
 * index), or stages it under `.uploads/{trace_id}/` until the run is written (see
 * {@link adoptStagedUploads}). The file appears atomically, whole or not at all. Throws
 * {@link InvalidInputError} for a bad trace id or a name with traversal, and
 * {@link PayloadTooLargeError} past `maxBytes` (nothing is kept). `name` is used as given:
 * a caller that scrubs names does so first.
 */
export async function receiveArtifact(
  runsDir: string,
  catalog: RunCatalog,
  upload: { traceId: string; name: string; body: Readable; maxBytes: number; transform?: () => Transform },
): Promise<UploadResult> {
  const traceId = upload.traceId.toLowerCase();
  if (!TRACE_ID.test(traceId) || /^0+$/.test(traceId)) {
    throw new InvalidInputError(`"${upload.traceId}" is not a trace id (32 hex digits)`);
  }
  checkRelativePath(upload.name, 'artifact name');
  const path = sanitizeArtifactPath(upload.name);
  const location = catalog.locateTrace(traceId);
  const folder = location ? join(runDirectory(runsDir, location.kind, location.runId), 'artifacts') : stagingFolder(runsDir, traceId);
  const target = join(folder, ...path.split('/'));
  const size = await streamToFile(upload.body, target, upload.maxBytes, upload.transform?.());
  return { trace_id: traceId, run_id: location?.runId ?? null, path, size };
}

/**
 * Moves artifacts staged for `traceId` into the run's `artifacts/` (an existing file of the
 * same name is replaced) and removes the staging folder, through `io` (synchronously: the
 * run-store exporter calls it from its worker). Nothing happens when none wait.
 */
export function adoptStagedUploads(runsDir: string, traceId: string, location: RunRef, io = new RunFiles()): number {
  const staged = stagingFolder(runsDir, traceId.toLowerCase());
  const files = io.listTree(staged);
  const artifacts = join(runDirectory(runsDir, location.kind, location.runId), 'artifacts');
  let moved = 0;
  for (const file of files.filter((entry) => entry.isFile() && !entry.name.startsWith('.'))) {
    const from = join(file.parentPath, file.name);
    const to = join(artifacts, ...relative(staged, from).split(sep));
    io.makeDir(dirname(to));
    io.rename(from, to);
    moved += 1;
  }
  if (files.length > 0) io.remove(staged);
  return moved;
}

function stagingFolder(runsDir: string, traceId: string): string {
  return join(runsDir, UPLOADS_FOLDER, traceId);
}

/**
 * Writes a stream to a temp file beside `target`, then renames it over; returns the size
 * received. `transform` (the privacy scrubber) rewrites the bytes before any reaches the file.
 */
async function streamToFile(body: Readable, target: string, maxBytes: number, transform?: Transform): Promise<number> {
  await storeOp('mkdir', dirname(target), () => mkdir(dirname(target), { recursive: true }));
  const tmp = join(dirname(target), `.upload.${randomBytes(6).toString('hex')}.tmp`);
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength;
      done(size > maxBytes ? new PayloadTooLargeError(maxBytes) : null, chunk);
    },
  });
  try {
    if (transform) await pipeline(body, limit, transform, createWriteStream(tmp));
    else await pipeline(body, limit, createWriteStream(tmp));
    if ((await stat(target).catch(() => null))?.isDirectory()) {
      throw new InvalidInputError(`artifact "${relative(dirname(tmp), target)}" is a folder`);
    }
    await storeOp('rename', target, () => rename(tmp, target));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return size;
}
