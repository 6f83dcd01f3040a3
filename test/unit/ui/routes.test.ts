import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../src/api/index.js';
import { formatHostPort } from '../../../src/lib/index.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { loadUiAssets, uiRoutes } from '../../../src/ui/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';

let server: ApiServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.shutdown();
  if (dir) await removeTempDir(dir);
  server = undefined;
  dir = undefined;
});

async function serve(buildDir: string): Promise<string> {
  server = new ApiServer(
    { address: { host: '127.0.0.1', port: 0 }, routes: uiRoutes(await loadUiAssets(buildDir)) },
    { ready: () => true },
    new Metrics({ defaultMetrics: false }),
    silentLogger(),
  );
  await server.start();
  return `http://${formatHostPort(server.address)}`;
}

describe('the UI routes', () => {
  it('say the UI is not built, instead of serving nothing, when its build folder is missing', async () => {
    const base = await serve('/nonexistent/paracle-ui');
    for (const path of ['/', '/runs', '/favicon.ico']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'the web UI is not built into dist/ui/www; run npm run build' } });
    }
  });

  it('serve what a build folder holds: the page, hashed assets, and nothing else', async () => {
    dir = await makeTempDir();
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(dir, 'assets', 'app-ABC.js'), 'export {};');
    await writeFile(join(dir, 'assets', 'icon-DEF.svg'), '<svg/>');
    await writeFile(join(dir, 'secret.txt'), 'not an asset');
    const base = await serve(dir);
    expect(await (await fetch(`${base}/stats`)).text()).toBe('<!doctype html><title>t</title>');
    expect(await (await fetch(`${base}/assets/app-ABC.js`)).text()).toBe('export {};');
    expect(await (await fetch(`${base}/favicon.ico`)).text()).toBe('<svg/>');
    for (const path of ['/secret.txt', '/assets/secret.txt', '/assets/..%2Fsecret.txt', '/assets/%2e%2e/secret.txt', '/index.html']) {
      expect((await fetch(`${base}${path}`)).status, path).not.toBe(200);
    }
  });
});
