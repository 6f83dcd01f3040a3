import { createServer, type Server } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trace, context } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, spawnDaemon, runCli } from '../helpers/daemon.js';
import { startTracing } from '../helpers/otel.js';
import { listRuns, traceSpans } from '../helpers/runs.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

const PORT0 = ['--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'];

async function writeConfig(body: string): Promise<string> {
  const file = join(dir, 'paracle.yaml');
  await writeFile(file, `paracle_config:\n${body}`);
  return file;
}

describe('paracle serve as a process', () => {
  it('prints the listening line, logs JSON on stderr and drains every acknowledged span on SIGTERM', async () => {
    const config = await writeConfig('  assembly: { grace_ms: 60000 }\n');
    const runsDir = join(dir, 'runs');
    const daemon = await spawnDaemon(['--config', config, '--runs-dir', runsDir, ...PORT0]);
    const address = expect.stringMatching(/^127\.0\.0\.1:\d+$/);
    expect(daemon.listening).toMatchObject({ event: 'listening', otlp_http: address, otlp_grpc: address, http: address });

    const tracing = startTracing('http-proto', `http://${daemon.listening.otlp_http}`, { batch: false });
    const sentSpanIds: string[] = [];
    // Finished traces (root ended, grace not yet passed) and one whose root is still open.
    for (let i = 0; i < 5; i++) {
      const root = tracing.tracer.startSpan('invoke_agent drainer', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'paracle.agent.id': 'drainer' } });
      const child = tracing.tracer.startSpan('chat', { attributes: { 'gen_ai.operation.name': 'chat' } }, trace.setSpan(context.active(), root));
      child.end();
      sentSpanIds.push(child.spanContext().spanId);
      if (i < 4) {
        root.end();
        sentSpanIds.push(root.spanContext().spanId);
      }
    }
    await tracing.flush();
    await tracing.shutdown();

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const runs = await listRuns(runsDir);
    expect(runs).toHaveLength(5);
    const stored = (await Promise.all(runs.map(traceSpans))).flat().map((s) => s.spanId);
    expect(stored.sort()).toEqual([...sentSpanIds].sort());
    expect(runs.filter((r) => r.metadata.status === 'completed')).toHaveLength(4);
    expect(runs.filter((r) => r.metadata.status === 'running')).toHaveLength(1);

    const logLines = daemon.stderr().trim().split('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(daemon.stderr()).toContain('shutting down');
  });

  it('takes addresses and runs dir from PARACLE_* environment variables', async () => {
    const runsDir = join(dir, 'env-runs');
    const daemon = await spawnDaemon([], { PARACLE_RUNS_DIR: runsDir, PARACLE_OTLP_HTTP: '127.0.0.1:0', PARACLE_OTLP_GRPC: '127.0.0.1:0', PARACLE_HTTP: '127.0.0.1:0' });
    const ready = await fetch(`http://${daemon.listening.http}/readyz`);
    expect(ready.status).toBe(200);
    daemon.child.kill('SIGINT');
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toContain(runsDir);
  });
});

describe('paracle serve start-up failures', () => {
  let blocker: Server;
  beforeEach(async () => {
    blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  });
  afterEach(async () => {
    await new Promise((res) => blocker.close(res));
  });

  async function expectStartFailure(args: string[], pattern: RegExp): Promise<void> {
    const result = await runCli(['serve', ...args]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  }

  it('exits 1 with one sentence when the port is in use', async () => {
    const port = (blocker.address() as { port: number }).port;
    await expectStartFailure(
      ['--runs-dir', join(dir, 'r'), '--otlp-http', `127.0.0.1:${port}`, '--otlp-grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'],
      new RegExp(`^paracle: cannot listen on 127\\.0\\.0\\.1:${port} for OTLP/HTTP: the address is already in use\\.$`),
    );
  });

  it('exits 1 with one sentence when the OTLP/gRPC port is in use', async () => {
    const port = (blocker.address() as { port: number }).port;
    await expectStartFailure(
      ['--runs-dir', join(dir, 'r'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', `127.0.0.1:${port}`, '--http', '127.0.0.1:0'],
      new RegExp(`^paracle: cannot listen on 127\\.0\\.0\\.1:${port} for OTLP/gRPC: the address is already in use\\.$`),
    );
  });

  it('exits 1 when the runs dir cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expectStartFailure(['--runs-dir', join(file, 'runs'), ...PORT0], /^paracle: the runs directory .*a-file\/runs is not writable \(ENOTDIR\)\.$/);
  });

  it('exits 1 when the config is invalid, naming the key path', async () => {
    const config = await writeConfig('  runs: { mode: huge }\n');
    await expectStartFailure(['--config', config, '--runs-dir', join(dir, 'r'), ...PORT0], /^paracle: .*paracle\.yaml is invalid: paracle_config\.runs\.mode: /);
  });

  it('exits 1 when the config file does not exist', async () => {
    await expectStartFailure(['--config', join(dir, 'missing.yaml'), ...PORT0], /missing\.yaml/);
  });

  it('exits 2 on a malformed address flag', async () => {
    const result = await runCli(['serve', '--otlp-http', 'nonsense', '--runs-dir', join(dir, 'r')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a HOST:PORT address/);
  });

  it('refuses a non-loopback listener without access tokens', async () => {
    await expectStartFailure(
      ['--runs-dir', join(dir, 'r'), '--otlp-http', '127.0.0.1:0', '--otlp-grpc', '127.0.0.1:0', '--http', '0.0.0.0:0'],
      /refusing to listen on 0\.0\.0\.0:0 \(http\) without access tokens/,
    );
  });
});

describe('paracle config check', () => {
  it('prints every problem with its path and exits 1', async () => {
    const config = await writeConfig('  runs: { mode: huge, bogus: 1 }\n  assembly: { grace_ms: -5 }\n');
    const result = await runCli(['config', 'check', config]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^paracle_config\.runs\.mode: /m);
    expect(result.stdout).toMatch(/^paracle_config\.runs(\.bogus)?: .*bogus/m);
    expect(result.stdout).toMatch(/^paracle_config\.assembly\.grace_ms: /m);
  });

  it('accepts the shipped example file', async () => {
    const result = await runCli(['config', 'check', 'config/paracle.example.yaml']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok');
  });

  it('prints the package version', async () => {
    const result = await runCli(['--version']);
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('prints the JSON Schema of a config file for editors', async () => {
    const result = await runCli(['config', 'schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $schema: string; properties: Record<string, { properties: object }> };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties.paracle_config!.properties)).toContain('runs');
  });

  it('reads .parac/project.yaml from the working directory by default', async () => {
    await mkdir(join(dir, '.parac'), { recursive: true });
    await writeFile(join(dir, '.parac', 'project.yaml'), 'paracle_config:\n  metrics: { max_ids: 0 }\n');
    const result = await runCli(['config', 'check', '--json'], {}, dir);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { file: string; issues: { path: string }[] };
    expect(report.file).toBe('.parac/project.yaml');
    expect(report.issues.map((i) => i.path)).toEqual(['paracle_config.metrics.max_ids']);
  });
});
