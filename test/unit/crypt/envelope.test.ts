import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decrypt,
  DecryptStream,
  encrypt,
  EncryptStream,
  keyIdOf,
  KeyStore,
  loadMasterKey,
  parseMasterKey,
  type DataKey,
} from '../../../src/crypt/index.js';
import { KeyUnavailableError, UnreadableFileError } from '../../../src/lib/index.js';

const key: DataKey = { id: 'run-01J', bytes: randomBytes(32) };
const keyFor = (id: string): DataKey => {
  if (id !== key.id) throw new Error(`unexpected key ${id}`);
  return key;
};

async function streamThrough(transform: Transform, input: Buffer, pieces = 7): Promise<Buffer> {
  const step = Math.max(1, Math.ceil(input.length / pieces));
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += step) parts.push(input.subarray(i, i + step));
  const out: Buffer[] = [];
  transform.on('data', (c: Buffer) => out.push(c));
  await pipeline(Readable.from(parts), transform);
  return Buffer.concat(out);
}

describe('envelope', () => {
  const sizes = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001];

  it.each(sizes)('round-trips %i bytes, whole and streamed, each way', async (size) => {
    const plain = randomBytes(size);
    const sealed = encrypt(key, plain);
    expect(keyIdOf(sealed, 'f')).toBe('run-01J');
    expect(decrypt(sealed, keyFor, 'f').equals(plain)).toBe(true);
    const streamed = await streamThrough(new EncryptStream(key), plain);
    expect(decrypt(streamed, keyFor, 'f').equals(plain)).toBe(true);
    expect((await streamThrough(new DecryptStream(keyFor, 'f'), sealed)).equals(plain)).toBe(true);
  });

  it('never holds the plaintext in the clear and never repeats a ciphertext', () => {
    const plain = Buffer.from('marker-PLAINTEXT-0123456789 '.repeat(100));
    const a = encrypt(key, plain);
    expect(a.includes('marker-PLAINTEXT')).toBe(false);
    expect(a.equals(encrypt(key, plain))).toBe(false);
  });

  it('rejects a flipped byte anywhere (header, body, tag) with an error naming the file', () => {
    const sealed = encrypt(key, randomBytes(150_000));
    for (const at of [4, 7, 12, 20, 30_000, 65_560, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x01;
      expect(() => decrypt(bad, () => key, '/runs/x/trace.json')).toThrow(/\/runs\/x\/trace\.json cannot be read/);
    }
  });

  it('rejects a file cut anywhere, chunk boundaries included, whole and streamed', async () => {
    const sealed = encrypt(key, randomBytes(3 * 65_536));
    const header = sealed.length - 3 * (65_536 + 16);
    for (const length of [0, 3, header, header + 10, header + 65_536 + 16, header + 2 * (65_536 + 16), sealed.length - 1]) {
      const cut = sealed.subarray(0, length);
      expect(() => decrypt(cut, keyFor, 'f')).toThrow(UnreadableFileError);
      await expect(streamThrough(new DecryptStream(keyFor, 'f'), cut)).rejects.toThrow(UnreadableFileError);
    }
  });

  it('rejects a wrong data key and a plaintext file', async () => {
    const sealed = encrypt(key, 'hello');
    const other = (): DataKey => ({ id: key.id, bytes: randomBytes(32) });
    expect(() => decrypt(sealed, other, 'f')).toThrow(/fails authentication/);
    expect(() => decrypt(Buffer.from('{"plain": true}'), keyFor, 'f')).toThrow(/not encrypted/);
    await expect(streamThrough(new DecryptStream(other, 'f'), sealed)).rejects.toThrow(UnreadableFileError);
  });
});

describe('master key', () => {
  const hex = randomBytes(32).toString('hex');

  it('reads 32 bytes as hex or base64 (same id either way); key_file wins over key_env', () => {
    const a = parseMasterKey(hex, 'x');
    const b = parseMasterKey(Buffer.from(hex, 'hex').toString('base64'), 'y');
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    const dir = mkdtempSync(join(tmpdir(), 'paracle-mk-'));
    try {
      const other = randomBytes(32).toString('hex');
      writeFileSync(join(dir, 'k'), `${other}\n`);
      const loaded = loadMasterKey({ keyEnv: 'K', keyFile: join(dir, 'k') }, { K: hex });
      expect(loaded.id).toBe(parseMasterKey(other, 'z').id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing or malformed key with one sentence', () => {
    expect(() => loadMasterKey({ keyEnv: 'NOPE', keyFile: null }, {})).toThrow(/no key is given: set NOPE/);
    expect(() => parseMasterKey('abcd', '$K')).toThrow(/\$K is not 32 bytes/);
    expect(() => loadMasterKey({ keyEnv: 'K', keyFile: '/nonexistent/k' }, {})).toThrow(KeyUnavailableError);
  });
});

describe('key store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const master = parseMasterKey(randomBytes(32).toString('hex'), '$OLD');
  const next = parseMasterKey(randomBytes(32).toString('hex'), '$NEW');

  it('makes a key once, 0600 in a 0700 folder, readable by a new store with the same master key', () => {
    dir = join(mkdtempSync(join(tmpdir(), 'paracle-ks-')), '.keys');
    const store = new KeyStore(dir, master);
    const made = store.getOrCreate('run-A');
    expect(store.getOrCreate('run-A').bytes.equals(made.bytes)).toBe(true);
    expect(new KeyStore(dir, master).get('run-A')?.bytes.equals(made.bytes)).toBe(true);
    expect(statSync(store.pathOf('run-A')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(store.pathOf('run-A')).includes(made.bytes)).toBe(false);
    expect(store.ids()).toEqual(['run-A']);
  });

  it('refuses another master key with a sentence naming both ids, and a tampered key file', () => {
    dir = join(mkdtempSync(join(tmpdir(), 'paracle-ks-')), '.keys');
    new KeyStore(dir, master).getOrCreate('run-A');
    expect(() => new KeyStore(dir, next).get('run-A')).toThrow(new RegExp(`\\$NEW \\(id ${next.id}\\) does not open this store.*${master.id}`));
    const file = new KeyStore(dir, master).pathOf('run-A');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(file, bytes);
    expect(() => new KeyStore(dir, master).get('run-A')).toThrow(UnreadableFileError);
  });

  it('re-wraps to a new master key, once (resumable), and destroys keys', () => {
    dir = join(mkdtempSync(join(tmpdir(), 'paracle-ks-')), '.keys');
    const store = new KeyStore(dir, master);
    const a = store.getOrCreate('run-A');
    store.getOrCreate('run-B');
    expect(store.rewrap('run-A', next)).toBe(true);
    expect(store.rewrap('run-A', next)).toBe(false);
    expect(new KeyStore(dir, next).get('run-A')?.bytes.equals(a.bytes)).toBe(true);
    expect(() => new KeyStore(dir, master).get('run-A')).toThrow(KeyUnavailableError);
    expect(store.destroy('run-B')).toBe(true);
    expect(store.destroy('run-B')).toBe(false);
    expect(new KeyStore(dir, master).get('run-B')).toBeNull();
  });
});
