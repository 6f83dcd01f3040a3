import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RunFiles,
  StoreError,
  newRunId,
  parseMetadata,
  readRunFile,
  writeRun,
} from '../../../src/store/index.js';
import { removeRun } from '../../../src/store/writer.js';
import { START_MS, agentRecord, logLine, stepRecord, tempDir, textArtifact, thrownBy, workflowRecord } from './records.js';

const TRACE_JSON = '{"resourceSpans":[]}';

let root: string;
let runsDir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  runsDir = join(root, 'runs');
});
afterEach(async () => cleanup());

/** Every file under `dir`, as sorted POSIX paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

describe('writeRun for an agent run', () => {
  it('writes every file of the layout and reads them back', async () => {
    const runId = newRunId(START_MS);
    const record = agentRecord({
      artifacts: [textArtifact('report.md', '# hi'), textArtifact('src/a.ts', 'x', true)],
      logs: [logLine(20, { message: 'second' }), logLine(10, { message: 'first' })],
    });
    const result = await writeRun(runsDir, { runId, record, traceJson: TRACE_JSON });

    expect(result.dir).toBe(join(runsDir, 'agents', runId));
    expect(result.artifactsCount).toBe(2);
    expect(result.skippedArtifacts).toEqual([]);
    expect(await listFiles(result.dir)).toEqual([
      'artifacts/report.md', 'artifacts/src/a.ts', 'input.json', 'logs.txt', 'metadata.yaml', 'output.json', 'trace.json',
    ]);
    expect(await readRunFile(runsDir, 'agent', runId, 'trace.json')).toBe(TRACE_JSON);
    expect(JSON.parse((await readRunFile(runsDir, 'agent', runId, 'input.json')) ?? '')).toEqual({ task: 'fix the bug' });
    const logs = (await readRunFile(runsDir, 'agent', runId, 'logs.txt')) ?? '';
    expect(logs.split('\n')).toHaveLength(3);
    expect(logs.indexOf('first')).toBeLessThan(logs.indexOf('second'));
    const metadata = parseMetadata((await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')) ?? '');
    expect(metadata).toMatchObject({ run_id: runId, agent_id: 'coder', artifacts_count: 2, status: 'completed' });
    expect(await readFile(join(result.dir, 'artifacts', 'report.md'), 'utf8')).toBe('# hi');
  });

  it('counts the bytes it wrote', async () => {
    const runId = newRunId(START_MS);
    const result = await writeRun(runsDir, { runId, record: agentRecord(), traceJson: TRACE_JSON });
    let total = 0;
    for (const file of await listFiles(result.dir)) total += (await stat(join(result.dir, file))).size;
    expect(result.bytesWritten).toBe(total);
  });

  it('writes null for an absent input or output', async () => {
    const runId = newRunId(START_MS);
    await writeRun(runsDir, { runId, record: agentRecord({ input: undefined, output: null }), traceJson: '{}' });
    expect((await readRunFile(runsDir, 'agent', runId, 'input.json'))?.trim()).toBe('null');
    expect((await readRunFile(runsDir, 'agent', runId, 'output.json'))?.trim()).toBe('null');
  });
});

describe('writeRun artifacts', () => {
  it('lands a traversal name inside artifacts/ and nothing outside the run', async () => {
    const runId = newRunId(START_MS);
    const names = ['../../etc/passwd', '/abs/x.txt', '..\\..\\win.ini', 'C:\\temp\\y.txt', 'ctl\u0000.txt', ''];
    const artifacts = names.map((name, i) => textArtifact(name, `content ${i}`));
    const result = await writeRun(runsDir, { runId, record: agentRecord({ artifacts }), traceJson: '{}' });

    expect(await readFile(join(result.dir, 'artifacts', 'etc', 'passwd'), 'utf8')).toBe('content 0');
    expect(await listFiles(join(result.dir, 'artifacts'))).toEqual(
      ['abs/x.txt', 'artifact', 'ctl.txt', 'etc/passwd', 'temp/y.txt', 'win.ini'],
    );
    const outside = (await listFiles(root)).filter((file) => !file.startsWith(`runs/agents/${runId}/`));
    expect(outside).toEqual([]);
    expect(result.artifactsCount).toBe(6);
  });

  it('writes binary content byte for byte', async () => {
    const runId = newRunId(START_MS);
    const content = new Uint8Array([0, 255, 1, 254, 10, 13]);
    const artifacts = [{ name: 'blob.bin', content, mimeType: null, modified: false }];
    const result = await writeRun(runsDir, { runId, record: agentRecord({ artifacts }), traceJson: '{}' });
    expect(new Uint8Array(await readFile(join(result.dir, 'artifacts', 'blob.bin')))).toEqual(content);
  });

  it('keeps artifacts uploaded between writes and overwrites re-sent ones', async () => {
    const runId = newRunId(START_MS);
    const write = { runId, record: agentRecord({ artifacts: [textArtifact('a.txt', 'v1')] }), traceJson: '{}' };
    const first = await writeRun(runsDir, write);
    await writeFile(join(first.dir, 'artifacts', 'uploaded.log'), 'from the agent');

    const second = await writeRun(runsDir, { ...write, record: agentRecord({ artifacts: [textArtifact('a.txt', 'v2')] }) });
    expect(await readFile(join(second.dir, 'artifacts', 'uploaded.log'), 'utf8')).toBe('from the agent');
    expect(await readFile(join(second.dir, 'artifacts', 'a.txt'), 'utf8')).toBe('v2');
    expect(second.artifactsCount).toBe(2);
    expect(parseMetadata((await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')) ?? '').artifacts_count).toBe(2);
  });

  it('skips an artifact whose name clashes with another and writes the rest', async () => {
    const runId = newRunId(START_MS);
    const artifacts = [textArtifact('a', 'file'), textArtifact('a/b', 'nested'), textArtifact('c', 'ok')];
    const result = await writeRun(runsDir, { runId, record: agentRecord({ artifacts }), traceJson: '{}' });
    expect(result.skippedArtifacts).toEqual([{ name: 'a/b', path: 'a/b', reason: 'name_clash' }]);
    expect(await listFiles(join(result.dir, 'artifacts'))).toEqual(['a', 'c']);
    expect(result.artifactsCount).toBe(2);
  });

  it('refuses to follow a symbolic link out of the artifacts folder', async () => {
    const runId = newRunId(START_MS);
    const dir = join(runsDir, 'agents', runId);
    const elsewhere = join(root, 'elsewhere');
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    await mkdir(elsewhere);
    await symlink(elsewhere, join(dir, 'artifacts', 'link'));
    const artifacts = [textArtifact('link/escape.txt', 'x')];
    const result = await writeRun(runsDir, { runId, record: agentRecord({ artifacts }), traceJson: '{}' });
    expect(result.skippedArtifacts).toEqual([{ name: 'link/escape.txt', path: 'link/escape.txt', reason: 'outside' }]);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe('writeRun for a workflow run', () => {
  it('writes steps with their input, output and artifacts, and counts step artifacts', async () => {
    const runId = newRunId(START_MS);
    const record = workflowRecord({
      artifacts: [textArtifact('summary.md', 's')],
      steps: [
        stepRecord({ artifacts: [textArtifact('plan.md', 'p'), textArtifact('../../../escape', 'e')] }),
        stepRecord({ stepId: '..', output: undefined }),
      ],
    });
    const result = await writeRun(runsDir, { runId, record, traceJson: TRACE_JSON });
    expect(result.dir).toBe(join(runsDir, 'workflows', runId));
    expect(await listFiles(result.dir)).toEqual([
      'artifacts/summary.md', 'input.json', 'logs.txt', 'metadata.yaml', 'output.json',
      'steps/plan/artifacts/escape', 'steps/plan/artifacts/plan.md', 'steps/plan/input.json', 'steps/plan/output.json',
      'steps/step/input.json', 'steps/step/output.json', 'trace.json',
    ]);
    expect(result.artifactsCount).toBe(3);
    expect(JSON.parse(await readFile(join(result.dir, 'steps', 'plan', 'output.json'), 'utf8'))).toEqual({ plan: ['a', 'b'] });
    expect(JSON.parse(await readFile(join(result.dir, 'steps', 'step', 'output.json'), 'utf8'))).toBeNull();
    const metadata = parseMetadata((await readRunFile(runsDir, 'workflow', runId, 'metadata.yaml')) ?? '');
    expect(metadata).toMatchObject({ workflow_id: 'research', artifacts_count: 3, steps_total: 2 });
  });
});

describe('writeRun metadataOnly', () => {
  it('writes only metadata.yaml and counts the artifacts already there', async () => {
    const runId = newRunId(START_MS);
    const dir = join(runsDir, 'agents', runId);
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    await writeFile(join(dir, 'artifacts', 'early.txt'), 'x');
    const record = agentRecord({ status: 'running', artifacts: [textArtifact('ignored.txt', 'y')] });
    const result = await writeRun(runsDir, { runId, record, traceJson: TRACE_JSON }, { metadataOnly: true });
    expect(await listFiles(dir)).toEqual(['artifacts/early.txt', 'metadata.yaml']);
    expect(result.artifactsCount).toBe(1);
    const metadata = parseMetadata((await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')) ?? '');
    expect(metadata).toMatchObject({ status: 'running', completed_at: null, artifacts_count: 1 });
  });
});

describe('writeRun result', () => {
  it('tells the input and output text now on disk when it knows it', async () => {
    const runId = newRunId(START_MS);
    const first = await writeRun(runsDir, { runId, record: agentRecord({ status: 'running' }), traceJson: TRACE_JSON }, { metadataOnly: true });
    expect([first.input, first.output]).toEqual([null, null]);
    const again = await writeRun(runsDir, { runId, record: agentRecord({ status: 'running' }), traceJson: TRACE_JSON }, { metadataOnly: true });
    expect([again.input, again.output]).toEqual([undefined, undefined]);
    const full = await writeRun(runsDir, { runId, record: agentRecord({ input: { q: 'é'.repeat(3) } }), traceJson: TRACE_JSON });
    expect(full.input).toBe(await readRunFile(runsDir, 'agent', runId, 'input.json'));
    expect(full.output).toBe(await readRunFile(runsDir, 'agent', runId, 'output.json'));
  });

  it('keeps log lines and counts artifacts already in a directory it did not make', async () => {
    const runId = newRunId(START_MS);
    const dir = join(runsDir, 'agents', runId);
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    await writeFile(join(dir, 'artifacts', 'early.txt'), 'x');
    await writeRun(runsDir, { runId, record: agentRecord({ logs: [logLine(10, { message: 'first' })] }), traceJson: TRACE_JSON });
    const result = await writeRun(runsDir, { runId, record: agentRecord({ logs: [logLine(20, { message: 'second' })] }), traceJson: TRACE_JSON });
    expect(result.artifactsCount).toBe(1);
    const logs = (await readRunFile(runsDir, 'agent', runId, 'logs.txt')) ?? '';
    expect(logs).toContain('first');
    expect(logs).toContain('second');
  });
});

describe('writeRun failures', () => {
  it('reports the errno code, operation, path and cause when the runs dir is a file', async () => {
    await writeFile(runsDir, 'not a directory');
    const runId = newRunId(START_MS);
    const error = thrownBy(() => writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' }));
    expect(error).toBeInstanceOf(StoreError);
    const storeError = error as StoreError;
    expect(storeError.code).toBe('store_io');
    expect(storeError.errnoCode).toBe('ENOTDIR');
    expect(storeError.operation).toBe('mkdir');
    expect(storeError.path).toBe(join(runsDir, 'agents', runId));
    expect(storeError.retryable).toBe(false);
    expect((storeError.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(storeError.message).toContain(storeError.path);
  });

  it('leaves metadata.yaml unwritten when an earlier file fails', async () => {
    const runId = newRunId(START_MS);
    const dir = join(runsDir, 'agents', runId);
    await mkdir(join(dir, 'trace.json'), { recursive: true });
    const error = thrownBy(() => writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' }));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('write');
    expect((error as StoreError).path).toBe(join(dir, 'trace.json'));
    expect(await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')).toBeNull();
    expect(await readRunFile(runsDir, 'agent', runId, 'input.json')).not.toBeNull();
  });
});

describe('readRunFile and removeRun', () => {
  it('reads null for a missing run or file and removes a run', async () => {
    const runId = newRunId(START_MS);
    expect(await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')).toBeNull();
    await writeRun(runsDir, { runId, record: agentRecord(), traceJson: '{}' }, { metadataOnly: true });
    expect(await readRunFile(runsDir, 'agent', runId, 'trace.json')).toBeNull();
    await removeRun(runsDir, 'agent', runId);
    expect(await readRunFile(runsDir, 'agent', runId, 'metadata.yaml')).toBeNull();
    await removeRun(runsDir, 'agent', runId);
  });
});

describe('the index entry of a run just written', () => {
  it('is the same from what the writer knows as from reading the files back', async () => {
    const { readCatalogEntry } = await import('../../../src/store/catalog/entry.js');
    const runId = newRunId(START_MS);
    const record = agentRecord({ input: { q: 'short' }, output: { a: 'é'.repeat(40_000) + 'x'.repeat(10) } });
    const result = await writeRun(runsDir, { runId, record, traceJson: TRACE_JSON });
    const location = { kind: 'agent' as const, runId };
    const known = await readCatalogEntry(runsDir, location, { metadata: result.metadata, input: result.input, output: result.output });
    const read = await readCatalogEntry(runsDir, location);
    expect(known?.text).toBe(read?.text);
    expect(known).toEqual(read);
  });
});

describe('RunFiles.writeAtomic', () => {
  it('writes content made as it is written, one reused chunk after the other, as one private file, and counts its bytes', async () => {
    const path = join(runsDir, 'chunks', 'trace.json');
    // One buffer, refilled for each chunk once the one before is written.
    const buffer = Buffer.alloc(32);
    const stream = {
      write: (sink: (chunk: Uint8Array) => void) => {
        for (const part of ['{"resourceSpans":', '', '[]}']) sink(buffer.subarray(0, buffer.write(part)));
      },
    };
    const written = new RunFiles().writeAtomic(path, stream);
    expect(written).toBe(20);
    expect(await readFile(path, 'utf8')).toBe('{"resourceSpans":[]}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(join(runsDir, 'chunks'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
