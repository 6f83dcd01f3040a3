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
import { INCOMING_FOLDER, UPLOADS_FOLDER, type UploadStaging } from './staging.js';
import { sealingOf } from './stored-file.js';
import type { RunRef } from './writer.js';
import { sharedStoreOf } from './shared/shared-store.js';

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

// Placing an upload retries this often when the folder it aimed at vanished meanwhile (a run
// directory moved as its id changed, staged uploads taken into their run).
const PLACE_ATTEMPTS = 4;

/**
 * Streams an artifact for trace `traceId` into `.uploads/.incoming/`, then puts it in its
 * run's `artifacts/` (found through the index), or stages it under `.uploads/{trace_id}/`
 * until the run is written (see {@link adoptStagedUploads}), within what `staging` still
 * takes. Streaming apart from placing keeps an upload whole while the run-store worker moves
 * the run directory or takes staged uploads in; placing is one rename, retried elsewhere
 * when its folder vanished. The file appears atomically, whole or not at all, and no
 * symbolic link on the way is followed. Throws {@link InvalidInputError} for a bad trace id,
 * a name with traversal or a link in the way, and {@link PayloadTooLargeError} past
 * `maxBytes` or the staging bound (nothing is kept). `name` is used as given: a caller that
 * scrubs names does so first.
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
  // On the shared backend an upload is always staged: a local copy of its run may be stale
  // (another replica wrote the run since) and be replaced by a checkout; the trace's writer
  // takes it in under the trace's lock (artifactsChanged).
  const shared = sharedStoreOf(runsDir) !== null;
  // Bounded as staged unless its run is there now (it may yet land in staging: counted at the next sweep).
  const reserving = shared || catalog.locateTrace(traceId) === null ? staging : undefined;
  const incoming = await directoryInside(runsDir, [UPLOADS_FOLDER, INCOMING_FOLDER]);
  const tmp = join(incoming, `.upload.${randomBytes(6).toString('hex')}.tmp`);
  // Sealed with the trace's upload key wherever it lands (run or staging): `runs shred` destroys it with the run's.
  const sealAs = join(runsDir, UPLOADS_FOLDER, traceId, path);
  const size = await streamToFile(upload.body, tmp, sealAs, upload.maxBytes, reserving, upload.transform?.());
  try {
    const runId = await placeUpload(runsDir, shared ? null : catalog, traceId, path, tmp);
    if (runId === null) reserving?.keep(size);
    else reserving?.release(size);
    return { trace_id: traceId, run_id: runId, path, size };
  } catch (err) {
    reserving?.release(size);
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Renames the streamed upload `tmp` to `path` in the trace's run's `artifacts/` (a run
 * directory is never made here), or in its staging folder when it has no run (or no
 * `catalog` is given: always staged); returns the run id, null when staged. A folder gone
 * meanwhile is looked up again.
 */
async function placeUpload(runsDir: string, catalog: RunCatalog | null, traceId: string, path: string, tmp: string): Promise<string | null> {
  const parts = path.split('/');
  for (let attempt = 1; ; attempt++) {
    // The last attempt stages it: the trace's next write, or its artifactsChanged, takes it in.
    const location = attempt < PLACE_ATTEMPTS ? (catalog?.locateTrace(traceId) ?? null) : null;
    const [base, existing] = location ? [artifactsSegments(location), 2] : [[UPLOADS_FOLDER, traceId], 0];
    try {
      const folder = await directoryInside(runsDir, [...base, ...parts.slice(0, -1)], existing);
      const target = join(folder, parts.at(-1) as string);
      if (await isFolder(target)) throw new InvalidInputError(`artifact "${path}" is a folder`);
      await storeOp('rename', target, () => rename(tmp, target));
      return location?.runId ?? null;
    } catch (err) {
      if (err instanceof StoreError && err.errnoCode === 'ENOTDIR') throw new InvalidInputError(`artifact "${path}" runs through a file of that name`);
      if (!(err instanceof StoreError && err.errnoCode === 'ENOENT') || attempt >= PLACE_ATTEMPTS + 1) throw err;
    }
  }
}

/**
 * Moves artifacts staged for `traceId` into the run's `artifacts/` (an existing file of the
 * same name is replaced) and removes the staging folder once empty, through `io` (synchronously: the
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
  // Only what was moved goes, then the folders it leaves empty: an upload placed meanwhile stays for the next adoption.
  const folders = files.filter((entry) => entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name));
  for (const folder of folders.sort((a, b) => b.length - a.length)) io.removeEmptyDir(folder);
  if (files.length > 0) io.removeEmptyDir(staged);
  return moved;
}

/**
 * Writes a stream to the new file `tmp` (no link followed); returns the size received. With
 * `staging`, every byte is reserved from it as it comes (the caller keeps or releases them).
 * `transform` (the privacy scrubber) rewrites the bytes before any reaches the file; in an
 * encrypted store they are then sealed with the data key of a file at `sealAs`.
 */
async function streamToFile(body: Readable, tmp: string, sealAs: string, maxBytes: number, staging: UploadStaging | undefined, transform?: Transform): Promise<number> {
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
    // Scrubbed, then sealed (an encrypted store) before any byte reaches the file; the
    // stream closes the file when it ends or fails.
    await pipeline([body, limit, ...(transform ? [transform] : []), ...sealingOf(sealAs), handle.createWriteStream()]);
  } catch (err) {
    staging?.release(size);
    await rm(tmp, { force: true });
    throw err;
  }
  return size;
}

async function isFolder(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() === true;
}
