import { randomBytes } from 'node:crypto';
import { lstat, rename, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, PayloadTooLargeError } from '../lib/index.js';
import type { RunCatalog } from './catalog/catalog.js';
import { StoreError, storeOp } from './errors.js';
import { KIND_FOLDERS, sanitizeArtifactPath } from './layout.js';
import { checkRelativePath } from './run-files.js';
import { RunFiles } from './run-io.js';
import { createFileNoFollow, directoryInside, directoryInsideSync, isLinkSync } from './safe-path.js';
import { UPLOADS_FOLDER, type UploadStaging } from './staging.js';
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

const TRACE_ID = /^[0-9a-f]{32}$/;

/** The folders (below the runs dir) of a run's `artifacts/`. */
function artifactsSegments(location: RunRef): string[] {
  return [KIND_FOLDERS[location.kind], location.runId, 'artifacts'];
}

/**
 * Streams an artifact for trace `traceId` into its run's `artifacts/` (found through the
 * index), or stages it under `.uploads/{trace_id}/` until the run is written (see
 * {@link adoptStagedUploads}), within what `staging` still takes. The file appears
 * atomically, whole or not at all, and no symbolic link on the way is followed. Throws
 * {@link InvalidInputError} for a bad trace id, a name with traversal or a link in the way,
 * and {@link PayloadTooLargeError} past `maxBytes` or the staging bound (nothing is kept).
 * `name` is used as given: a caller that scrubs names does so first.
 */
export async function receiveArtifact(
  runsDir: string,
  catalog: RunCatalog,
  upload: { traceId: string; name: string; body: Readable; maxBytes: number; transform?: () => Transform },
  staging?: UploadStaging,
): Promise<UploadResult> {
  const traceId = upload.traceId.toLowerCase();
  if (!TRACE_ID.test(traceId) || /^0+$/.test(traceId)) {
    throw new InvalidInputError(`"${upload.traceId}" is not a trace id (32 hex digits)`);
  }
  checkRelativePath(upload.name, 'artifact name');
  const path = sanitizeArtifactPath(upload.name);
  const location = catalog.locateTrace(traceId);
  const base = location ? artifactsSegments(location) : [UPLOADS_FOLDER, traceId];
  const parts = path.split('/');
  const folder = await directoryInside(runsDir, [...base, ...parts.slice(0, -1)]).catch((err: unknown) => {
    if (err instanceof StoreError && err.errnoCode === 'ENOTDIR') throw new InvalidInputError(`artifact "${path}" runs through a file of that name`);
    throw err;
  });
  const target = join(folder, parts.at(-1) as string);
  const size = await streamToFile(upload.body, target, upload.maxBytes, location ? undefined : staging, upload.transform?.());
  return { trace_id: traceId, run_id: location?.runId ?? null, path, size };
}

/**
 * Moves artifacts staged for `traceId` into the run's `artifacts/` (an existing file of the
 * same name is replaced) and removes the staging folder, through `io` (synchronously: the
 * run-store exporter calls it from its worker); links are neither followed nor moved.
 * Returns how many files moved; nothing happens when none wait.
 */
export function adoptStagedUploads(runsDir: string, traceId: string, location: RunRef, io = new RunFiles()): number {
  const staged = join(runsDir, UPLOADS_FOLDER, traceId.toLowerCase());
  if (isLinkSync(staged)) throw new InvalidInputError(`${staged} is a symbolic link; the run store follows no links`);
  const files = io.listTree(staged);
  let moved = 0;
  for (const file of files.filter((entry) => entry.isFile() && !entry.name.startsWith('.'))) {
    const from = join(file.parentPath, file.name);
    const parts = relative(staged, from).split(sep);
    const folder = directoryInsideSync(io, runsDir, [...artifactsSegments(location), ...parts.slice(0, -1)]);
    io.rename(from, join(folder, parts.at(-1) as string));
    moved += 1;
  }
  if (files.length > 0) io.remove(staged);
  return moved;
}

/**
 * Writes a stream to a new temp file beside `target` (no link followed), then renames it
 * over; returns the size received. With `staging`, every byte is reserved from it as it
 * comes. `transform` (the privacy scrubber) rewrites the bytes before any reaches the file.
 */
async function streamToFile(body: Readable, target: string, maxBytes: number, staging: UploadStaging | undefined, transform?: Transform): Promise<number> {
  const tmp = join(target, '..', `.upload.${randomBytes(6).toString('hex')}.tmp`);
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength;
      if (size > maxBytes) return done(new PayloadTooLargeError(maxBytes));
      if (staging && !staging.reserve(chunk.byteLength)) {
        size -= chunk.byteLength;
        return done(new PayloadTooLargeError(staging.maxBytes, `uploads waiting for their run already take ingest.max_staged_upload_bytes (${staging.maxBytes} bytes); retry once the run is written`));
      }
      done(null, chunk);
    },
  });
  const handle = await createFileNoFollow(tmp);
  try {
    // The stream closes the file when it ends or fails.
    if (transform) await pipeline(body, limit, transform, handle.createWriteStream());
    else await pipeline(body, limit, handle.createWriteStream());
    if (await isFolder(target)) throw new InvalidInputError(`artifact "${relative(join(tmp, '..'), target)}" is a folder`);
    await storeOp('rename', target, () => rename(tmp, target));
  } catch (err) {
    staging?.release(size);
    await rm(tmp, { force: true });
    throw err;
  }
  staging?.keep(size);
  return size;
}

async function isFolder(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() === true;
}
