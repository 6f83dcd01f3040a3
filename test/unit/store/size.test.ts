import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { measureStore } from '../../../src/store/size.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-size-');
});
afterEach(async () => {
  await removeTempDir(runsDir);
});

async function put(path: string, bytes: number): Promise<void> {
  const full = join(runsDir, path);
  await mkdir(join(full, '..'), { recursive: true });
  await writeFile(full, 'x'.repeat(bytes));
}

describe('measureStore', () => {
  it('counts run directories per kind and place and sums file sizes per place', async () => {
    await put('agents/01HN7X8K9M2PQRSTUVWXYZ3456/metadata.yaml', 100);
    await put('agents/01HN7X8K9M2PQRSTUVWXYZ3457/artifacts/deep/a.txt', 20);
    await put('workflows/01HN7X8K9M2PQRSTUVWXYZ3458/steps/plan/input.json', 3);
    await put('.archive/agents/2024/01/01HN7X8K9M2PQRST0VWXYZ3459.tar.gz', 50);
    await put('.archive/agents/2024/01/.01HN7X8K9M2PQRSTUVWXYZ3450.tar.gz.0123456789ab.tmp', 7);
    await put('.wal/segment-1', 1000);
    expect(await measureStore(runsDir)).toEqual({
      runs: { live: { agent: 2, workflow: 1 }, archive: { agent: 1, workflow: 0 } },
      bytes: { live: 123, archive: 57 },
    });
  });

  it('stops walking once its signal is aborted', async () => {
    await put('agents/01HN7X8K9M2PQRST0VWXYZ3456/metadata.yaml', 100);
    const controller = new AbortController();
    controller.abort(new Error('daemon stopping'));
    await expect(measureStore(runsDir, controller.signal)).rejects.toThrow('daemon stopping');
  });

  it('reports an empty or missing store as zeros', async () => {
    const zero = { runs: { live: { agent: 0, workflow: 0 }, archive: { agent: 0, workflow: 0 } }, bytes: { live: 0, archive: 0 } };
    expect(await measureStore(join(runsDir, 'missing'))).toEqual(zero);
  });
});
