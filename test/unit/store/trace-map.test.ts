import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTraceRun, writeTraceRun } from '../../../src/store/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const R1 = '01HN7X8K9M2PQRST0VWXYZ3456';
const R2 = '01HN7X8K9M2PQRST0VWXYZ3457';

let runsDir: string;
beforeEach(async () => {
  runsDir = await makeTempDir('paracle-trace-map-');
});
afterEach(async () => removeTempDir(runsDir));

describe('the trace → run map', () => {
  it('reads back what was written, with the move it announces', async () => {
    expect(await readTraceRun(runsDir, TRACE)).toBeNull();
    await writeTraceRun(runsDir, TRACE, { kind: 'agent', runId: R1, final: false, movedFrom: null });
    expect(await readTraceRun(runsDir, TRACE)).toEqual({ kind: 'agent', runId: R1, final: false, movedFrom: null });
    const moved = { kind: 'workflow' as const, runId: R2, final: true, movedFrom: { kind: 'agent' as const, runId: R1 } };
    await writeTraceRun(runsDir, TRACE, moved);
    expect(await readTraceRun(runsDir, TRACE)).toEqual(moved);
  });

  it('reads an entry of the older three-field form, and ignores an unreadable one', async () => {
    const folder = join(runsDir, '.traces', TRACE.slice(0, 2));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, TRACE), `agent ${R1} final\n`);
    expect(await readTraceRun(runsDir, TRACE)).toEqual({ kind: 'agent', runId: R1, final: true, movedFrom: null });
    await writeFile(join(folder, TRACE), 'garbage\n');
    expect(await readTraceRun(runsDir, TRACE)).toBeNull();
  });
});
