import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/lib/index.js';
import { RunObjects, SharedStoreError } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { freePort } from '../../helpers/free-port.js';
import { startS3, type TestS3 } from '../../helpers/s3.js';

let s3: TestS3;
let dir: string;
const clients: RunObjects[] = [];
const objectsAt = (prefix: string, options: Partial<ReturnType<TestS3['options']>> = {}): RunObjects => {
  const objects = new RunObjects({ ...s3.options(prefix), ...options });
  clients.push(objects);
  return objects;
};

beforeAll(async () => {
  s3 = await startS3();
  dir = await makeTempDir('paracle-objects-');
});
afterAll(async () => {
  for (const client of clients) client.close();
  await s3?.stop();
  await removeTempDir(dir);
});

describe('RunObjects against an S3-compatible server', () => {
  it('writes, reads, streams, lists and removes objects under its prefix only', async () => {
    const objects = objectsAt('tenant-a/');
    const other = objectsAt('tenant-b');
    await objects.check();
    await objects.put('agents/01J/metadata.yaml', 'status: completed\n');
    await objects.put('agents/01J/trace.json', new Uint8Array([0, 1, 2, 255]));
    await other.put('agents/01J/metadata.yaml', 'other tenant\n');

    expect((await objects.get('agents/01J/metadata.yaml'))?.toString()).toBe('status: completed\n');
    expect([...(await objects.get('agents/01J/trace.json'))!]).toEqual([0, 1, 2, 255]);
    expect(await objects.get('agents/01J/absent.json')).toBeNull();
    expect(await text(await objects.open('agents/01J/metadata.yaml'))).toBe('status: completed\n');
    await expect(objects.open('agents/01J/absent.json')).rejects.toBeInstanceOf(NotFoundError);

    const listed = await objects.list('agents/01J');
    expect(listed.map((e) => e.path).sort()).toEqual(['metadata.yaml', 'trace.json']);
    expect(listed.find((e) => e.path === 'trace.json')).toMatchObject({ size: 4, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(await objects.list('agents/01')).toEqual([]);

    await objects.remove(['agents/01J/trace.json', 'agents/01J/never-written']);
    expect((await objects.list('agents/01J/')).map((e) => e.path)).toEqual(['metadata.yaml']);
    expect((await other.get('agents/01J/metadata.yaml'))?.toString()).toBe('other tenant\n');
  });

  it('uploads a large file in parts and a small one whole, byte for byte', async () => {
    const objects = objectsAt('files/');
    const big = randomBytes(17 * 1024 * 1024 + 5);
    const small = randomBytes(1000);
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'small.bin'), small);
    await objects.putFile('agents/01K/big.bin', join(dir, 'big.bin'));
    await objects.putFile('agents/01K/small.bin', join(dir, 'small.bin'));
    await writeFile(join(dir, 'empty.bin'), '');
    await objects.putFile('agents/01K/empty.bin', join(dir, 'empty.bin'));
    expect((await objects.get('agents/01K/empty.bin'))!.length).toBe(0);
    expect((await objects.get('agents/01K/big.bin'))!.equals(big)).toBe(true);
    expect((await objects.get('agents/01K/small.bin'))!.equals(small)).toBe(true);
    const sizes = Object.fromEntries((await objects.list('agents/01K')).map((e) => [e.path, e.size]));
    expect(sizes).toEqual({ 'big.bin': big.length, 'small.bin': small.length, 'empty.bin': 0 });
  });

  it('lists and removes past the 1000 keys of one page', async () => {
    const objects = objectsAt('many/');
    const paths = Array.from({ length: 1003 }, (_, i) => `agents/01M/f${String(i).padStart(4, '0')}`);
    for (let i = 0; i < paths.length; i += 25) await Promise.all(paths.slice(i, i + 25).map((p) => objects.put(p, 'x')));
    const listed = await objects.list('agents/01M');
    expect(listed).toHaveLength(1003);
    expect(new Set(listed.map((e) => e.path)).size).toBe(1003);
    await objects.remove(paths);
    expect(await objects.list('agents/01M')).toEqual([]);
  }, 120_000);

  it('reads a whole object, old or new, while it is being replaced (PUTs are atomic, as S3 documents)', async () => {
    const objects = objectsAt('atomic/');
    const body = (char: string): Buffer => Buffer.alloc(2 * 1024 * 1024, char);
    await objects.put('agents/01A/trace.json', body('a'));
    const reads: Promise<Buffer | null>[] = [];
    const writes: Promise<void>[] = [];
    for (const char of 'bcdef') {
      writes.push(objects.put('agents/01A/trace.json', body(char)));
      for (let i = 0; i < 4; i++) reads.push(objects.get('agents/01A/trace.json'));
    }
    await Promise.all(writes);
    for (const read of await Promise.all(reads)) {
      expect(read!.length).toBe(2 * 1024 * 1024);
      expect(new Set(read!).size).toBe(1);
    }
    // Versions of different lengths, each replaced while read: a reader must never get the
    // new bytes cut to the old length (or the old ones with the new length).
    const sized = (n: number): Buffer => Buffer.alloc(1000 + n * 37, 65 + (n % 26));
    for (let n = 0; n < 40; n++) {
      const replaced = objects.put('agents/01A/logs.txt', sized(n));
      const during = await Promise.all(Array.from({ length: 8 }, () => objects.get('agents/01A/logs.txt')));
      await replaced;
      for (const read of during) {
        if (read === null) continue;
        const version = (read.length - 1000) / 37;
        expect(read.equals(sized(version)), `a read of ${read.length} bytes`).toBe(true);
      }
    }
  });

  it('refuses a missing bucket and an unreachable server in one sentence', async () => {
    const missing = objectsAt('', { bucket: 'no-such-bucket' });
    await expect(missing.check()).rejects.toThrow(SharedStoreError);
    await expect(missing.check()).rejects.toThrow(/^object storage could not reach s3:\/\/no-such-bucket\/ at http:\/\/127\.0\.0\.1:\d+: /);
    await expect(missing.get('x')).rejects.toThrow(SharedStoreError);
    const port = await freePort();
    const down = objectsAt('', { endpoint: `http://127.0.0.1:${port}` });
    const err = await down.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SharedStoreError);
    expect((err as SharedStoreError).retryable).toBe(true);
  });
});
