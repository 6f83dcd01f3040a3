import { join, relative, sep } from 'node:path';
import type { RunKind } from '../../model/index.js';
import { isTempFile } from '../artifacts.js';
import { COMPRESSION_RECORD } from '../compression.js';
import { CorruptRunFileError } from '../errors.js';
import { hashStoredContent } from '../stored-file.js';
import { listTree } from '../run-files.js';

/** The manifest's name inside a run directory and, first of all entries, in its archive. */
export const MANIFEST_FILE = '.manifest.json';
const MANIFEST_FORMAT = 1;

/** One file of an archived run. */
export interface ManifestFile {
  /** POSIX path relative to the run directory. */
  path: string;
  size: number;
  sha256: string;
}

/** What an archive holds, written before it is packed and checked before the live run goes. */
export interface Manifest {
  format: number;
  run_id: string;
  kind: RunKind;
  archived_at: string;
  files: ManifestFile[];
}

// The archive opens with the manifest, then the metadata and the compression record, so
// reading what a run is never inflates its artifacts.
const LEADING = ['metadata.yaml', COMPRESSION_RECORD];

/**
 * The manifest of run directory `dir`: every regular file at any depth (hidden ones too: the
 * pin marker and the compression record are part of the run) except temp files of
 * interrupted writes and an older manifest, with its size and SHA-256, metadata first.
 */
export async function buildManifest(dir: string, kind: RunKind, runId: string, archivedAtMs: number): Promise<Manifest> {
  const files: ManifestFile[] = [];
  for (const entry of await listTree(dir)) {
    if (!entry.isFile() || isTempFile(entry.name)) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    if (path === MANIFEST_FILE) continue;
    files.push({ path, ...(await hashStoredContent(full)) });
  }
  files.sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { format: MANIFEST_FORMAT, run_id: runId, kind, archived_at: new Date(archivedAtMs).toISOString(), files };
}

function rank(path: string): number {
  const index = LEADING.indexOf(path);
  return index === -1 ? LEADING.length : index;
}

/** Parses a manifest read from an archive; {@link CorruptRunFileError} when it is not one. */
export function parseManifest(text: string, where: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptRunFileError(`the manifest of ${where} is not JSON`, { cause: err });
  }
  const manifest = value as Partial<Manifest>;
  if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.files) || typeof manifest.run_id !== 'string') {
    throw new CorruptRunFileError(`the manifest of ${where} is not a format ${MANIFEST_FORMAT} manifest`);
  }
  return manifest as Manifest;
}

/**
 * The differences between what a manifest promises and what an archive holds, as sentences;
 * empty when they agree file for file, byte for byte.
 */
export function compareManifest(expected: readonly ManifestFile[], found: readonly ManifestFile[]): string[] {
  const problems: string[] = [];
  const byPath = new Map(found.map((file) => [file.path, file]));
  for (const file of expected) {
    const got = byPath.get(file.path);
    byPath.delete(file.path);
    if (!got) problems.push(`${file.path} is missing`);
    else if (got.size !== file.size || got.sha256 !== file.sha256) problems.push(`${file.path} differs`);
  }
  for (const path of byPath.keys()) problems.push(`${path} is not in the manifest`);
  return problems;
}
