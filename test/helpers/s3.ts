import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunObjectsOptions } from '../../src/store/shared/objects.js';

/** An S3-compatible server (s3rver) on 127.0.0.1 with one bucket, its objects in a temp dir. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** What RunObjects and `runs.s3` take to reach the bucket under `prefix`. */
  options(prefix?: string): RunObjectsOptions;
  /** The credentials s3rver accepts, as the SDK's default chain reads them (for child processes). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

// s3rver's built-in account; the SDK signs with it and s3rver checks the signatures.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

// s3rver in a process of its own. Its list continuation tokens are DES-encrypted, which
// OpenSSL 3 (Node 18+) offers only with the legacy provider: without it, listing past
// 1000 keys fails inside s3rver.
// s3rver writes an object's file in place (and answers a PUT of a buffer before its bytes
// are on disk), so a GET racing a PUT of the same key reads a partial object. S3 documents a
// PUT as atomic (a reader sees the old object or the new one) and the store relies on it:
// the object is written to a temp file and renamed into place once complete, its ETag and
// metadata likewise. A GET reads the metadata (the length it serves) and then opens the
// file: the two steps of a PUT and of a GET of one key take turns, so a reader never pairs
// the new bytes with the old length (a truncated object) or the reverse.
const SERVER = `
const crypto = require('node:crypto');
const fs = require('node:fs');
const { dirname } = require('node:path');
const { Readable, Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');
const S3rver = require('s3rver');
const temp = (file) => file + '.' + crypto.randomBytes(6).toString('hex') + '.tmp';
const turns = new Map();
async function inTurn(file, fn) {
  const previous = turns.get(file) || Promise.resolve();
  let done;
  const mine = previous.then(() => new Promise((resolve) => (done = resolve)));
  turns.set(file, mine);
  await previous;
  try {
    return await fn();
  } finally {
    done();
    if (turns.get(file) === mine) turns.delete(file);
  }
}
const getObject = FilesystemStore.prototype.getObject;
FilesystemStore.prototype.getObject = function (bucket, key, options) {
  // Resolves once the file is open: the open file keeps the bytes that length describes.
  return inTurn(this.getResourcePath(bucket, key, 'object'), () => getObject.call(this, bucket, key, options));
};
async function replace(file, text) {
  const tmp = temp(file);
  await fs.promises.writeFile(tmp, text);
  await fs.promises.rename(tmp, file);
}
FilesystemStore.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.promises.mkdir(dirname(objectPath), { recursive: true });
  const tmp = temp(objectPath);
  const md5 = crypto.createHash('md5');
  let size = 0;
  const count = new Transform({ transform(chunk, _encoding, done) { md5.update(chunk); size += chunk.length; done(null, chunk); } });
  const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  await pipeline(source, count, fs.createWriteStream(tmp));
  const digest = md5.digest('hex');
  await inTurn(objectPath, async () => {
    await fs.promises.rename(tmp, objectPath);
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  });
  return { size, md5: digest };
};
FilesystemStore.prototype.putMetadata = async function (bucket, key, metadata, md5) {
  const json = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) json[name] = value;
  }
  if (md5) await replace(this.getResourcePath(bucket, key, 'object.md5'), md5);
  await replace(this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
};
const [directory, bucket] = process.argv.slice(1);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run().then(({ port }) => console.log(JSON.stringify({ port })), (err) => { console.error(err); process.exit(1); });
`;

/**
 * Starts s3rver on a free loopback port with `bucket`, resolving once it listens (within
 * `timeoutMs`). The credentials go into this process's environment too, so in-process
 * clients find them through the SDK's chain as in production.
 */
export async function startS3(bucket = 'paracle-test', timeoutMs = 15_000): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'paracle-s3-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER, directory, bucket], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver did not listen within ${timeoutMs} ms`)), timeoutMs);
      void exited.then(() => reject(new Error(`s3rver exited: ${stderr}`)));
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  Object.assign(process.env, CREDENTIALS);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    options: (prefix = '') => ({ endpoint, bucket, prefix, region: 'us-east-1', forcePathStyle: true }),
    env: { ...CREDENTIALS },
    stop,
  };
}
