import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../lib/index.js';
import type { Artifact } from '../model/index.js';
import { StoreError, errnoOf, storeOp } from './errors.js';
import { isInside, sanitizeArtifactPath } from './layout.js';
import type { RunFiles } from './run-io.js';
import { directoryInsideSync, isLinkSync } from './safe-path.js';

/** An artifact the store did not write, and why. */
export interface SkippedArtifact {
  /** The name as the agent gave it. */
  name: string;
  /** Its sanitised path inside the artifacts folder. */
  path: string;
  /** `outside`: it would have resolved outside the folder; `name_clash`: a file and a folder share the name. */
  reason: 'outside' | 'name_clash';
}

/** What {@link writeArtifacts} did. */
export interface ArtifactsOutcome {
  bytesWritten: number;
  skipped: SkippedArtifact[];
}

// `a` as a file and `a/b` as another artifact cannot both exist: that is the agent's naming,
// not a store failure, so the rest of the run is still written.
const NAME_CLASH_CODES: ReadonlySet<string> = new Set(['ENOTDIR', 'EISDIR', 'EEXIST']);
// writeFileAtomic's temp files (`.name.<12 hex>.tmp`), left behind only by a crash.
const TEMP_FILE = /^\..*\.[0-9a-f]{12}\.tmp$/;

/** True for the name of a temp file an interrupted atomic write left behind. */
export function isTempFile(name: string): boolean {
  return TEMP_FILE.test(name);
}

/**
 * Writes artifacts into `folder` (created, even when there are none) at their sanitised
 * paths, each atomically. Files already in the folder are kept or overwritten, never
 * deleted. When two artifacts sanitise to the same path the later one wins. An artifact
 * whose path would leave the folder (lexically or through a symbolic link) or clashes with
 * another's is skipped and reported; any other failure throws a {@link StoreError}.
 */
export function writeArtifacts(io: RunFiles, folder: string, artifacts: readonly Artifact[]): ArtifactsOutcome {
  io.makeDir(folder);
  if (artifacts.length === 0) return { bytesWritten: 0, skipped: [] };
  const byPath = new Map<string, Artifact>();
  for (const artifact of artifacts) byPath.set(sanitizeArtifactPath(artifact.name), artifact);
  const outcome: ArtifactsOutcome = { bytesWritten: 0, skipped: [] };
  const linked = isLinkSync(folder);
  for (const [path, artifact] of byPath) {
    const reason = linked ? 'outside' : placeArtifact(io, folder, path, artifact.content);
    if (reason === null) outcome.bytesWritten += artifact.content.byteLength;
    else outcome.skipped.push({ name: artifact.name, path, reason });
  }
  return outcome;
}

/**
 * The number of regular files under `folder`, at any depth; 0 when it does not exist.
 * Temp files of interrupted writes are not counted.
 */
export function countFiles(io: RunFiles, folder: string): number {
  let count = 0;
  for (const entry of io.list(folder)) {
    if (entry.isDirectory()) count += countFiles(io, join(folder, entry.name));
    else if (entry.isFile() && !isTempFile(entry.name)) count += 1;
  }
  return count;
}

/** Writes one artifact below `root`, through no symbolic link; returns why it was skipped, or null. */
function placeArtifact(io: RunFiles, root: string, path: string, content: Uint8Array): SkippedArtifact['reason'] | null {
  const segments = path.split('/');
  if (!isInside(root, join(root, ...segments))) return 'outside';
  try {
    // A symbolic link planted inside the folder must not carry the write elsewhere.
    const parent = directoryInsideSync(io, root, segments.slice(0, -1));
    io.writeAtomic(join(parent, segments.at(-1) as string), content);
  } catch (err) {
    if (err instanceof InvalidInputError) return 'outside';
    if (err instanceof StoreError && err.errnoCode !== null && NAME_CLASH_CODES.has(err.errnoCode)) return 'name_clash';
    throw err;
  }
  return null;
}

/** The entries of `folder`; none when it does not exist. */
export async function listEntries(folder: string): Promise<Dirent[]> {
  return storeOp('readdir', folder, async () => {
    try {
      return await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    }
  });
}
