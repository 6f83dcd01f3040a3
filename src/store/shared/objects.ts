import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import { NotFoundError } from '../../lib/index.js';
import { SharedStoreError } from './errors.js';

/** The SDK's modules and the client, once loaded. */
interface Sdk {
  s3: typeof S3;
  Upload: typeof Upload;
  client: S3.S3Client;
}

/** Where the runs live in object storage. Credentials come from the SDK's default chain. */
export interface RunObjectsOptions {
  /** An S3-compatible endpoint (MinIO, Ceph RGW, R2...); absent: AWS S3. */
  endpoint?: string;
  bucket: string;
  /** Prepended to every key, e.g. `paracle/`; '' for the bucket's root. */
  prefix: string;
  /** Absent: the SDK's chain (AWS_REGION, the profile), or us-east-1 with an `endpoint`. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
}

/** One object under a folder: its path relative to the folder, size and ETag (unquoted). */
export interface ObjectEntry {
  path: string;
  size: number;
  etag: string;
}

// Above this a file is uploaded in parts (S3 caps a single PUT at 5 GiB, and parts keep the
// memory bounded: at most PART_BYTES x QUEUE_SIZE in flight per upload).
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
// DeleteObjects takes at most 1000 keys per request.
const DELETE_BATCH = 1000;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The run content of the shared backend: objects keyed `<prefix><runs-dir-relative path>`
 * (`agents/<run_id>/metadata.yaml`, `.keys/<run_id>.key`...), holding the bytes exactly as
 * the local store seals them. Every failure is a {@link SharedStoreError} naming the key.
 */
export class RunObjects {
  readonly bucket: string;
  readonly prefix: string;
  private readonly where: string;
  private readonly options: RunObjectsOptions;
  private sdk: Promise<Sdk> | null = null;

  constructor(options: RunObjectsOptions) {
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.where = `s3://${options.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.options = options;
  }

  /**
   * The SDK and its client, loaded on first use: the store module is imported by every CLI
   * command, and the SDK takes a good part of a second to load.
   */
  private loadSdk(): Promise<Sdk> {
    this.sdk ??= (async () => {
      // Node 20 is an engine of ours; the SDK's notice that its later versions drop it would
      // be printed, multi-line, among the daemon's JSON log lines and the CLI's one-sentence
      // errors. A user who set the variable keeps their value.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const [s3, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      const { endpoint, region, forcePathStyle } = this.options;
      const client = new s3.S3Client({
        ...(endpoint ? { endpoint } : {}),
        ...(region ? { region } : endpoint ? { region: 'us-east-1' } : {}),
        forcePathStyle: forcePathStyle ?? false,
        // Checksums only where the API requires them: the SDK's default (a trailing CRC on
        // every upload) is not understood by several S3-compatible servers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      });
      return { s3, Upload: storage.Upload, client };
    })();
    return this.sdk;
  }

  /** Throws a one-sentence {@link SharedStoreError} when the bucket is missing or out of reach. */
  async check(): Promise<void> {
    try {
      const { s3, client } = await this.loadSdk();
      await client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw this.failure('reach', '', err);
    }
  }

  /** Writes one object (small bodies: a metadata file, a key). */
  async put(path: string, body: Uint8Array | string): Promise<void> {
    const Key = this.key(path);
    try {
      const { s3, client } = await this.loadSdk();
      await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key, Body: body }));
    } catch (err) {
      throw this.failure('write', Key, err);
    }
  }

  /** Uploads a local file as the object `path`, streaming it in parts when it is large. */
  async putFile(path: string, localFile: string): Promise<void> {
    const Key = this.key(path);
    try {
      const { s3, client, Upload } = await this.loadSdk();
      const { size } = await stat(localFile);
      if (size <= PART_BYTES) {
        // Streamed, not read whole: many uploads run at once.
        await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key, Body: createReadStream(localFile), ContentLength: size }));
        return;
      }
      const upload = new Upload({
        client,
        params: { Bucket: this.bucket, Key, Body: createReadStream(localFile) },
        partSize: PART_BYTES,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      throw this.failure('write', Key, err);
    }
  }

  /** The whole object, or null when there is none. */
  async get(path: string): Promise<Buffer | null> {
    const Key = this.key(path);
    try {
      const { s3, client } = await this.loadSdk();
      const response = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!response.Body) return Buffer.alloc(0);
      return Buffer.from(await response.Body.transformToByteArray());
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.failure('read', Key, err);
    }
  }

  /** A stream of the object; NotFoundError when there is none. */
  async open(path: string): Promise<Readable> {
    const Key = this.key(path);
    try {
      const { s3, client } = await this.loadSdk();
      const response = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key }));
      // In Node the SDK's body is an http.IncomingMessage, a Readable.
      return response.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError(`no object ${Key} in ${this.where}`);
      throw this.failure('read', Key, err);
    }
  }

  /** Every object under `folder` (all pages), paths relative to the folder. */
  async list(folder: string): Promise<ObjectEntry[]> {
    const Prefix = `${this.key(folder).replace(/\/+$/, '')}/`;
    const entries: ObjectEntry[] = [];
    let ContinuationToken: string | undefined;
    try {
      const { s3, client } = await this.loadSdk();
      do {
        const page = await client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }));
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          entries.push({ path: object.Key.slice(Prefix.length), size: object.Size ?? 0, etag: (object.ETag ?? '').replace(/"/g, '') });
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    } catch (err) {
      throw this.failure('list', Prefix, err);
    }
    return entries;
  }

  /** Deletes the objects (absent ones are no error), in batches of 1000. */
  async remove(paths: readonly string[]): Promise<void> {
    for (let start = 0; start < paths.length; start += DELETE_BATCH) {
      const Objects = paths.slice(start, start + DELETE_BATCH).map((path) => ({ Key: this.key(path) }));
      let failed: { Key?: string; Message?: string } | undefined;
      try {
        const { s3, client } = await this.loadSdk();
        const response = await client.send(new s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects, Quiet: true } }));
        failed = response.Errors?.[0];
      } catch (err) {
        throw this.failure('remove', Objects[0]!.Key, err);
      }
      if (failed) throw new SharedStoreError(`object storage could not remove ${failed.Key ?? '?'} in ${this.where}: ${failed.Message ?? 'refused'}`, true);
    }
  }

  /** Closes the SDK's connections. */
  close(): void {
    void this.sdk?.then(({ client }) => client.destroy());
  }

  private key(path: string): string {
    return this.prefix + path;
  }

  private failure(operation: string, key: string, err: unknown): SharedStoreError {
    const reason = err instanceof Error ? (err.message || err.name) : String(err);
    const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    // 4xx (no bucket, denied, bad request) needs a person; network faults and 5xx may pass.
    const retryable = status === undefined || status >= 500 || status === 429;
    const what = key ? `${key} in ${this.where}` : this.where;
    return new SharedStoreError(`object storage could not ${operation} ${what}: ${reason}`, retryable, { cause: err });
  }
}

/** '' stays ''; anything else ends with exactly one '/' and has no leading one. */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

function isMissing(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  // A missing bucket is a 404 too, but a broken configuration, not an absent object.
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NotFound' || status === 404);
}
