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
const SERVER = `
const S3rver = require('s3rver');
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
