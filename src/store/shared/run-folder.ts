import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { looksEncrypted, parseHeader } from '../../crypt/index.js';
import { codecOf, EnvelopeCodec } from '../codec.js';
import { errnoOf, StoreError, storeOp } from '../errors.js';
import { KIND_FOLDERS, runDirectory } from '../layout.js';
import type { RunRef } from '../writer.js';

/** A sealed file's envelope header fits in this many bytes (magic, version, key id, nonce prefix). */
const HEADER_BYTES = 300;
/** Files and objects moved at once between a run directory and object storage. */
export const TRANSFER_CONCURRENCY = 8;

/** The object folder of a run: its runs-dir-relative directory, `agents/<run_id>`. */
export function runFolder(ref: RunRef): string {
  return `${KIND_FOLDERS[ref.kind]}/${ref.runId}`;
}

/**
 * The regular files of a run directory, as paths relative to it with `/` separators (links
 * and temp files left out); [] when there is no directory. Walked with a stack, not
 * recursion: artifact folders nest as deep as their uploaders made them.
 */
export async function localRunFiles(runsDir: string, ref: RunRef): Promise<string[]> {
  const root = runDirectory(runsDir, ref.kind, ref.runId);
  const files: string[] = [];
  const folders = [''];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    const dir = join(root, folder);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') continue;
      throw new StoreError('readdir', dir, err);
    }
    for (const entry of entries) {
      const path = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) folders.push(path);
      else if (entry.isFile() && !entry.name.endsWith('.tmp')) files.push(path);
    }
  }
  return files;
}

/**
 * The key store files (wrapped data keys) that the sealed files among `files` (runs-dir-
 * relative paths) name in their envelope headers; [] in a plaintext store. What another
 * replica needs to open them.
 */
export async function dataKeyFilesOf(runsDir: string, files: readonly string[]): Promise<string[]> {
  const codec = codecOf(join(runsDir, KIND_FOLDERS.agent, 'probe'));
  if (!(codec instanceof EnvelopeCodec)) return [];
  const ids = new Set<string>();
  for (const file of files) {
    const id = await envelopeKeyId(join(runsDir, file));
    if (id !== null) ids.add(id);
  }
  return [...ids].map((id) => codec.keys.pathOf(id));
}

/** The data key id a file's envelope header names; null for a file stored as it is (a marker). */
export async function envelopeKeyId(path: string): Promise<string | null> {
  const head = Buffer.alloc(HEADER_BYTES);
  const bytes = await storeOp('read', path, async () => {
    const handle = await open(path, 'r');
    try {
      return (await handle.read(head, 0, HEADER_BYTES, 0)).bytesRead;
    } finally {
      await handle.close();
    }
  });
  const start = head.subarray(0, bytes);
  if (!looksEncrypted(start)) return null;
  return parseHeader(start, path)?.keyId ?? null;
}
