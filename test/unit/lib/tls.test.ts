import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StartupError, TlsSource } from '../../../src/lib/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { makeCertificates, type TestCertificates } from '../../helpers/tls.js';

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TlsSource', () => {
  let dir: string;
  let certs: TestCertificates;
  let files: { certFile: string; keyFile: string };

  beforeEach(async () => {
    dir = await makeTempDir('paracle-tls-');
    certs = makeCertificates(dir, { ips: ['127.0.0.1'] });
    files = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    await copyFile(certs.certFile, files.certFile);
    await copyFile(certs.keyFile, files.keyFile);
  });
  afterEach(async () => removeTempDir(dir));

  it('refuses to start with a file missing or a key that does not match, naming the problem', async () => {
    await expect(TlsSource.load({ ...files, certFile: join(dir, 'nope.crt') })).rejects.toThrow(/daemon\.tls\.cert_file \S+nope\.crt cannot be read \(ENOENT\)/);
    await expect(TlsSource.load({ ...files, keyFile: certs.clientKeyFile })).rejects.toThrow(StartupError);
    expect((await TlsSource.load({ ...files, clientCaFile: certs.caFile })).mutual).toBe(true);
  });

  it('keeps serving the old pair while the files make no valid pair, and takes the new one once they do', async () => {
    const errors: Error[] = [];
    let reloads = 0;
    const source = await TlsSource.load(files, { pollMs: 50, onReload: () => reloads++, onReloadError: (err) => errors.push(err) });
    const changes: string[] = [];
    source.subscribe(() => changes.push(String(source.contextOptions().cert)));
    source.start();
    try {
      const original = String(source.contextOptions().cert);
      const rotated = makeCertificates(dir, { ips: ['127.0.0.1'] }, 'rotated');
      // The certificate is replaced before its key: for a moment the files do not match.
      await copyFile(rotated.certFile, files.certFile);
      await until(() => errors.length > 0);
      expect(String(source.contextOptions().cert)).toBe(original);
      await copyFile(rotated.keyFile, files.keyFile);
      await until(() => reloads > 0);
      expect(String(source.contextOptions().cert)).toBe(await readFile(rotated.certFile, 'utf8'));
      expect(changes).toHaveLength(1);
      await writeFile(files.keyFile, 'not a key');
      await until(() => errors.length > 1);
      expect(changes).toHaveLength(1);
    } finally {
      source.shutdown();
    }
  });
});
