import { afterEach, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../src/api/index.js';
import { formatHostPort } from '../../../src/lib/index.js';
import { CatalogFollower } from '../../../src/store/index.js';
import { Metrics } from '../../../src/telemetry/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { captureLogger } from '../../helpers/log-capture.js';

let dir: string;
let stop: () => Promise<void> = () => Promise.resolve();
afterEach(async () => {
  await stop();
  await removeTempDir(dir);
});

describe('ApiServer failure log', () => {
  it('names the route template of a request that failed, never its URL (an upload name is unscrubbed there)', async () => {
    dir = await makeTempDir('paracle-api-log-');
    const follower = await CatalogFollower.open(dir, captureLogger().logger);
    const { logger, records } = captureLogger();
    const api = new ApiServer(
      { address: { host: '127.0.0.1', port: 0 }, runs: { store: follower.store, maxArtifactBytes: 1024 }, router: { authorize: () => { throw new Error('the token store is down'); } } },
      { ready: () => true },
      new Metrics({ defaultMetrics: false }),
      logger,
    );
    await api.start();
    stop = async () => {
      await api.shutdown();
      await follower.shutdown();
    };
    const url = `http://${formatHostPort(api.address)}/api/v1/traces/${'ab'.repeat(16)}/artifacts/jane.doe%40example.com-notes.txt?sig=secret`;
    const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'hello' });
    expect(res.status).toBe(500);
    const lines = records().filter((r) => r.level === 50);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'HTTP request failed', method: 'PUT', route: '/api/v1/traces/{trace_id}/artifacts/{name*}' });
    expect(JSON.stringify(lines[0])).not.toMatch(/jane|example|secret/);
  });
});
