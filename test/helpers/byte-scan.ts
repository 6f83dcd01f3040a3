import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One place a needle was found: the file, and the path inside it (archive entry, gzip member). */
export interface ScanHit {
  file: string;
  needle: string;
}

const TAR_BLOCK = 512;

/** The entries of a tar archive (ustar), as name and content. */
function tarEntries(tar: Buffer): { name: string; content: Buffer }[] {
  const entries: { name: string; content: Buffer }[] = [];
  for (let at = 0; at + TAR_BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + TAR_BLOCK);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    entries.push({ name, content: tar.subarray(at + TAR_BLOCK, at + TAR_BLOCK + size) });
    at += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return entries;
}

const isGzip = (b: Buffer): boolean => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isTar = (b: Buffer): boolean => b.length >= 263 && b.subarray(257, 262).toString('latin1') === 'ustar';

/**
 * Every readable form of a file's bytes: the bytes, and, for gzip and tar, what they hold
 * (recursively: a gzip'd archive of gzip'd files is opened all the way).
 */
export function readableForms(bytes: Buffer, name: string): { name: string; bytes: Buffer }[] {
  const forms = [{ name, bytes }];
  if (isGzip(bytes)) forms.push(...readableForms(gunzipSync(bytes), `${name}!gunzip`));
  else if (isTar(bytes)) for (const entry of tarEntries(bytes)) forms.push(...readableForms(entry.content, `${name}!${entry.name}`));
  return forms;
}

/** Every regular file under `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Looks for each needle in every file under `dir` (archives and compressed files opened, see
 * {@link readableForms}), as UTF-8 bytes; returns where each was found.
 */
export async function scanTree(dir: string, needles: readonly string[]): Promise<ScanHit[]> {
  const hits: ScanHit[] = [];
  for (const file of await listFiles(dir)) {
    for (const form of readableForms(await readFile(file), file)) hits.push(...scanBytes(form.bytes, form.name, needles));
  }
  return hits;
}

/** Looks for each needle in `bytes`. */
export function scanBytes(bytes: Buffer, name: string, needles: readonly string[]): ScanHit[] {
  return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8'))).map((needle) => ({ file: name, needle }));
}
