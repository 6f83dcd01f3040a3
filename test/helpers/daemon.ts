import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { validateConfig } from '../../src/config/index.js';
import { formatHostPort } from '../../src/lib/index.js';
import { startDaemon, type Daemon } from '../../src/service/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import type { ExporterKind } from './otel.js';

/** A fresh temp directory; remove it with {@link removeTempDir}. */
export function makeTempDir(prefix = 'paracle-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a temp directory made by {@link makeTempDir}. */
export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** An in-process daemon on loopback port 0 with its own runs dir. */
export interface TestDaemon {
  daemon: Daemon;
  runsDir: string;
  /** Base URL of OTLP/HTTP, e.g. http://127.0.0.1:43123 */
  otlpUrl: string;
  /** OTLP/gRPC address as the gRPC exporters take it, e.g. http://127.0.0.1:43124 */
  otlpGrpcUrl: string;
  /** Where an exporter of `kind` sends: {@link otlpGrpcUrl} for gRPC, else {@link otlpUrl}. */
  endpoint(kind: ExporterKind): string;
  /** Base URL of the --http listener. */
  httpUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the daemon in this process, as `paracle serve` would, with `config` being the
 * contents of `paracle_config` (validated like a file's). Short assembly timings by default.
 */
export async function startTestDaemon(
  config: Record<string, unknown> = {},
  options: { runsDir?: string } = {},
): Promise<TestDaemon> {
  const runsDir = options.runsDir ?? (await makeTempDir('paracle-runs-'));
  const assembly = { grace_ms: 150, ...(config.assembly as object | undefined) };
  const parsed = validateConfig({ ...config, assembly }, null);
  const loopback = { host: '127.0.0.1', port: 0 };
  const daemon = await startDaemon(
    { config: parsed, configFile: null, runsDir, otlpHttp: loopback, otlpGrpc: loopback, http: loopback },
    silentLogger(),
  );
  const scheme = parsed.daemon.tls ? 'https' : 'http';
  const otlpUrl = `${scheme}://${formatHostPort(daemon.addresses.otlpHttp)}`;
  const otlpGrpcUrl = `${scheme}://${formatHostPort(daemon.addresses.otlpGrpc)}`;
  return {
    daemon,
    runsDir,
    otlpUrl,
    otlpGrpcUrl,
    endpoint: (kind) => (kind === 'grpc' ? otlpGrpcUrl : otlpUrl),
    httpUrl: `${scheme}://${formatHostPort(daemon.addresses.http)}`,
    async stop() {
      await daemon.shutdown();
      await removeTempDir(runsDir);
    },
  };
}

/** The `listening` line of a daemon process. */
export interface ListeningLine {
  event: 'listening';
  otlp_http: string;
  otlp_grpc: string;
  http: string;
}

/** A `paracle serve` child process. */
export interface DaemonProcess {
  child: ChildProcess;
  listening: ListeningLine;
  stderr: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
}

/** Path of the built CLI (tests run after `npm run build`). */
export const CLI_PATH = resolve('dist/cli/main.js');

/**
 * Spawns the built `paracle serve` with `args` (in `cwd`, default this process's) and waits
 * for its listening line; rejects with its stderr if it exits first. `wrap` runs it through a
 * command (e.g. `ip netns exec NS`).
 */
export function spawnDaemon(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string, wrap: string[] = []): Promise<DaemonProcess> {
  const command = [...wrap, process.execPath, CLI_PATH, 'serve', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return new Promise((resolveStart, rejectStart) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      resolveStart({ child, listening: JSON.parse(line) as ListeningLine, stderr: () => stderr, exited });
    });
    void exited.then((code) => rejectStart(new Error(`paracle serve exited with ${code}: ${stderr}`)));
  });
}

/** Runs the built CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { ...process.env, ...env }, stdio: 'pipe', cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((res) => child.once('close', (code, signal) => res({ code, signal, stdout, stderr })));
}
