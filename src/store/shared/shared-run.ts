import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isKeyId, parseHeader, plainLength } from '../../crypt/index.js';
import { FILE_MODE, InvalidInputError, makeDirectory, NotFoundError, UnreadableFileError, writeFileAtomic } from '../../lib/index.js';
import type { RunKind } from '../../model/index.js';
import { archiveFile } from '../archive/layout.js';
import { codecOf, EnvelopeCodec, type FileCodec } from '../codec.js';
import { COMPRESSION_RECORD, inflateIfCompressed, isStoredCompressed, parseCompressionRecord, type CompressionRecord } from '../compression.js';
import { errnoOf, storeOp } from '../errors.js';
import { isValidRunId, KIND_FOLDERS } from '../layout.js';
import { parseMetadata } from '../metadata.js';
import { exists } from '../reader.js';
import { checkRelativePath, noSuchRun, type RunFileEntry } from '../run-files.js';
import type { ForgottenRun } from '../catalog/catalog.js';
import { ArchivedRun, HIDDEN_PATH, withOriginalSizes, type StoredRun } from '../stored-run.js';
import type { SharedStore } from './shared-store.js';

const KINDS: readonly RunKind[] = ['agent', 'workflow'];
/** Enough of a sealed file for its envelope header (magic, version, key id, nonce prefix). */
const HEADER_BYTES = 300;
/** Objects whose header is read at once when listing a run of an encrypted store. */
const HEADER_READS = 8;
/** The folder of a replica's local caches under its runs dir (INTERFACE.md §12). */
export const CACHE_FOLDER = '.cache';
/** Archives downloaded for reading, kept at most this many (the least recently read go). */
const CACHED_ARCHIVES = 32;
/** The pin marker, an object like the local marker file (pin.ts). */
const PIN_OBJECT = '.pinned';

/** One object of a run, by its path relative to the run directory. */
interface RunObject {
  size: number;
  etag: string;
}

/**
 * Run `runId` on the shared backend: its live objects when it has a `metadata.yaml`, else
 * its archive object (downloaded into the replica's cache). {@link NotFoundError} when it is
 * in neither place.
 */
export async function openSharedRun(runsDir: string, store: SharedStore, runId: string): Promise<StoredRun> {
  if (!isValidRunId(runId)) throw new InvalidInputError(`"${runId}" is not a run id`);
  const live = await SharedRun.find(runsDir, store, runId);
  if (live) return live;
  for (const kind of KINDS) {
    const archived = await openSharedArchive(runsDir, store, kind, runId);
    if (archived) return archived;
  }
  throw noSuchRun(runId);
}

/**
 * A live run read from its objects, as a run directory is read from its files: the same
 * codec opens what the store sealed (fetching the run's data keys into the local key store
 * first) and recorded compressed files come back inflated. Made per request: it remembers
 * the listing and the compression record it read.
 */
export class SharedRun implements StoredRun {
  readonly place = 'live';
  private readonly base: string;
  private objects?: Promise<Map<string, RunObject>>;
  private record?: Promise<CompressionRecord>;

  private constructor(
    private readonly runsDir: string,
    private readonly store: SharedStore,
    readonly kind: RunKind,
    readonly runId: string,
    private readonly metadata: string,
  ) {
    this.base = `${KIND_FOLDERS[kind]}/${runId}`;
  }

  /** The run's live objects, found by its `metadata.yaml` (as a run directory is); null when it has none. */
  static async find(runsDir: string, store: SharedStore, runId: string): Promise<SharedRun | null> {
    for (const kind of KINDS) {
      const base = `${KIND_FOLDERS[kind]}/${runId}`;
      const stored = await store.objects.get(`${base}/metadata.yaml`);
      if (stored === null) continue;
      const text = (await openStoredBytes(runsDir, store, `${base}/metadata.yaml`, stored)).toString('utf8');
      return new SharedRun(runsDir, store, kind, runId, text);
    }
    return null;
  }

  async metadataText(): Promise<string> {
    return this.metadata;
  }

  async pinned(): Promise<boolean> {
    return (await this.store.objects.get(`${this.base}/${PIN_OBJECT}`)) !== null;
  }

  async list(folder: string): Promise<RunFileEntry[]> {
    const prefix = folder === '' ? '' : `${folder}/`;
    const objects = [...(await this.listing())].filter(([path]) => path.startsWith(prefix) && !HIDDEN_PATH.test(path));
    const sizes = new Map<string, number>();
    const files: RunFileEntry[] = [];
    for (let i = 0; i < objects.length; i += HEADER_READS) {
      const batch = objects.slice(i, i + HEADER_READS);
      const contents = await Promise.all(batch.map(([path, object]) => this.contentSize(path, object.size)));
      batch.forEach(([path], j) => {
        sizes.set(path, contents[j]!);
        files.push({ path: path.slice(prefix.length), size: contents[j]! });
      });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return withOriginalSizes(files, folder, await this.compression(), (path) => sizes.get(path) ?? -1);
  }

  async open(path: string): Promise<Readable> {
    checkRelativePath(path, 'path');
    if (HIDDEN_PATH.test(path)) throw new NotFoundError(`no file ${path}`);
    const record = await this.compression();
    const entry = record[path];
    let stored: RunObject | undefined;
    if (entry !== undefined) {
      stored = (await this.listing()).get(path);
      if (!stored) throw new NotFoundError(`no file ${path}`);
    }
    const key = `${this.base}/${path}`;
    const content = await openStoredStream(this.runsDir, this.store, key, await this.openObject(key, path));
    const compressed = stored !== undefined && isStoredCompressed(entry, await this.contentSize(path, stored.size));
    const out = inflateIfCompressed(content, compressed);
    // Closing what the reader holds closes the object's stream (pipe alone leaves it paused).
    if (out !== content) out.once('close', () => content.destroy());
    return out;
  }

  async stamp(path: string): Promise<string> {
    checkRelativePath(path, 'path');
    const object = HIDDEN_PATH.test(path) ? undefined : (await this.listing()).get(path);
    if (!object) throw new NotFoundError(`no file ${path}`);
    return `shared:${object.etag}:${object.size}`;
  }

  /** Object `key` (file `path` of the run); a missing one is reported as a missing file, not by its bucket. */
  private async openObject(key: string, path: string): Promise<Readable> {
    try {
      return await this.store.objects.open(key);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`no file ${path}`);
      throw err;
    }
  }

  private listing(): Promise<Map<string, RunObject>> {
    this.objects ??= this.store.objects.list(this.base).then((found) => new Map(found.map((o) => [o.path, { size: o.size, etag: o.etag }])));
    return this.objects;
  }

  private compression(): Promise<CompressionRecord> {
    this.record ??= (async () => {
      const key = `${this.base}/${COMPRESSION_RECORD}`;
      const stored = await this.store.objects.get(key);
      if (stored === null) return {};
      return parseCompressionRecord((await openStoredBytes(this.runsDir, this.store, key, stored)).toString('utf8'), key);
    })();
    return this.record;
  }

  /** The content size of an object of `storedSize` bytes: its envelope's plaintext length when sealed. */
  private async contentSize(path: string, storedSize: number): Promise<number> {
    const key = `${this.base}/${path}`;
    if (!codecOf(join(this.runsDir, key)).encrypted) return storedSize;
    const head = await headOf(await this.store.objects.open(key), HEADER_BYTES);
    const header = parseHeader(head, key);
    if (header === null) throw new UnreadableFileError(key, 'it is truncated');
    return plainLength(storedSize, header);
  }
}

/** The data key ids the envelope headers of a live run's objects name (none in a plaintext store), for shredding. */
export async function sharedRunKeyIds(runsDir: string, store: SharedStore, kind: RunKind, runId: string): Promise<Set<string>> {
  const base = `${KIND_FOLDERS[kind]}/${runId}`;
  const keyIds = new Set<string>();
  if (!codecOf(join(runsDir, base, 'x')).encrypted) return keyIds;
  const paths = (await store.objects.list(base)).map((object) => `${base}/${object.path}`);
  for (let i = 0; i < paths.length; i += HEADER_READS) {
    await Promise.all(
      paths.slice(i, i + HEADER_READS).map(async (path) => {
        const head = await headOf(await store.objects.open(path), HEADER_BYTES);
        try {
          const header = parseHeader(head, path);
          if (header) keyIds.add(header.keyId);
        } catch {
          // A damaged header (or a plain marker such as .pinned) names no key: the object goes with the run.
        }
      }),
    );
  }
  return keyIds;
}

/**
 * Copies wrapped data key `keyId` from the shared store into the local key store (0600,
 * as the key store writes it) unless it is there already. False when the shared store has
 * no such key (never made, or shredded).
 */
export async function fetchDataKey(runsDir: string, store: SharedStore, keyId: string): Promise<boolean> {
  const codec = codecOf(join(runsDir, KEY_PROBE));
  if (!(codec instanceof EnvelopeCodec)) return false;
  if (codec.keys.get(keyId) !== null) return true;
  const file = codec.keys.pathOf(keyId);
  const wrapped = await store.objects.get(relativeKey(runsDir, file));
  if (wrapped === null) return false;
  await storeOp('write', file, () => writeFileAtomic(file, wrapped));
  return true;
}

/**
 * Destroys this replica's copies of the data keys of runs its mirror forgot whose key object
 * is gone from the shared store: another replica shredded them, and a wrapped key left here
 * would still open copies and backups of their objects. Keys still in the shared store (a
 * run deleted or archived, not shredded) are kept.
 */
export async function dropShreddedKeys(runsDir: string, store: SharedStore, runs: readonly ForgottenRun[]): Promise<void> {
  const codec = codecOf(join(runsDir, KEY_PROBE));
  if (!(codec instanceof EnvelopeCodec)) return;
  for (const run of runs) {
    const ids = [run.runId, ...(run.traceId === null ? [] : [`upload-${run.traceId}`])].filter(isKeyId);
    for (const id of ids) {
      const file = codec.keys.pathOf(id);
      if (!(await exists(file))) continue;
      if ((await store.objects.get(relativeKey(runsDir, file))) === null) codec.keys.destroy(id);
    }
  }
}

// Any path of a run folder: the codec of the store at `runsDir`.
const KEY_PROBE = join(KIND_FOLDERS.agent, 'probe');

/** The object key of a file under `runsDir` (its runs-dir-relative path, POSIX separators). */
export function relativeKey(runsDir: string, file: string): string {
  return relative(runsDir, file).split(sep).join('/');
}

/** The content of object `key` from its stored bytes, fetching the data key its envelope names first. */
async function openStoredBytes(runsDir: string, store: SharedStore, key: string, stored: Buffer): Promise<Buffer> {
  const path = join(runsDir, key);
  const codec = codecOf(path);
  await fetchKeyOf(runsDir, store, codec, stored.subarray(0, HEADER_BYTES), key);
  return codec.open(path, stored);
}

/** The content of object `key` streamed from `stored`, the data key its envelope names fetched first. */
async function openStoredStream(runsDir: string, store: SharedStore, key: string, stored: Readable): Promise<Readable> {
  const path = join(runsDir, key);
  const codec = codecOf(path);
  const opening = codec.opening(path);
  if (opening === null) return stored;
  const { head, rest } = await peek(stored, HEADER_BYTES);
  await fetchKeyOf(runsDir, store, codec, head, key);
  rest.on('error', (err) => opening.destroy(err));
  // A reader that abandons the content (a client gone) lets go of the object too.
  opening.once('close', () => rest.destroy());
  return rest.pipe(opening);
}

async function fetchKeyOf(runsDir: string, store: SharedStore, codec: FileCodec, head: Buffer, key: string): Promise<void> {
  if (!codec.encrypted) return;
  // A damaged header is reported by the codec when it opens the bytes.
  let keyId: string | undefined;
  try {
    keyId = parseHeader(head, key)?.keyId;
  } catch {
    return;
  }
  if (keyId !== undefined) await fetchDataKey(runsDir, store, keyId);
}

/**
 * The first `bytes` of a stream (fewer when it is shorter); the rest is not read, and the
 * stream is destroyed (an object's connection is let go, not left paused).
 */
async function headOf(stream: Readable, bytes: number): Promise<Buffer> {
  try {
    return (await peek(stream, bytes)).head;
  } finally {
    stream.destroy();
  }
}

/**
 * The first `bytes` of a stream (fewer when it is shorter), and a stream of all of it
 * (those bytes again, then the rest), so a header can be read before the content is used.
 */
async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const seen: Buffer[] = [];
  let length = 0;
  try {
    while (length < bytes) {
      const next = await chunks.next();
      if (next.done) break;
      seen.push(next.value);
      length += next.value.length;
    }
  } catch (err) {
    stream.destroy();
    throw err;
  }
  const head = Buffer.concat(seen);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const rest = Readable.from(all(), { objectMode: false });
  // Ended, failed or abandoned by its reader (even before the first read): let go of the
  // object's connection rather than leave it paused.
  rest.once('close', () => stream.destroy());
  return { head: head.subarray(0, bytes), rest };
}

/**
 * The archive of run `runId` of `kind` on the shared backend (object: its runs-dir-relative
 * local archive path, `.archive/...`), downloaded into `<runs-dir>/.cache/archive/` and read
 * there with the local archive reader; null when there is no such object. Downloaded anew
 * each time: a shredded or deleted archive is never served from the cache.
 */
async function openSharedArchive(runsDir: string, store: SharedStore, kind: RunKind, runId: string): Promise<ArchivedRun | null> {
  const key = relativeKey(runsDir, archiveFile(runsDir, kind, runId));
  let source: Readable;
  try {
    source = await store.objects.open(key);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
  const folder = join(runsDir, CACHE_FOLDER, 'archive');
  const file = join(folder, `${runId}.tar.gz`);
  await storeOp('write', file, async () => {
    await makeDirectory(folder);
    const tmp = join(folder, `.${runId}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await pipeline(source, createWriteStream(tmp, { mode: FILE_MODE }));
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  });
  await pruneCache(folder, file);
  // The members are sealed with the run's key, adopted uploads with their trace's.
  await fetchDataKey(runsDir, store, runId);
  const run = await ArchivedRun.open(kind, runId, file);
  const traceId = parseMetadata(await run.metadataText()).trace_id;
  if (typeof traceId === 'string' && /^[0-9a-f]{32}$/.test(traceId)) await fetchDataKey(runsDir, store, `upload-${traceId}`);
  return run;
}

/** Keeps the newest {@link CACHED_ARCHIVES} archives of the cache (`used` counts as just read). */
async function pruneCache(folder: string, used: string): Promise<void> {
  const now = new Date();
  await utimes(used, now, now);
  const names = (await readdir(folder)).filter((name) => !name.startsWith('.'));
  if (names.length <= CACHED_ARCHIVES) return;
  const aged = await Promise.all(
    names.map(async (name) => {
      try {
        return { name, mtimeMs: (await stat(join(folder, name))).mtimeMs };
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return { name, mtimeMs: Number.POSITIVE_INFINITY };
        throw err;
      }
    }),
  );
  aged.sort((a, b) => b.mtimeMs - a.mtimeMs);
  await Promise.all(aged.slice(CACHED_ARCHIVES).map(({ name }) => rm(join(folder, name), { force: true })));
}
