/**
 * The processes measured: a `paracle serve` of a given build, and baseline A, a plain Node
 * server that drains and acknowledges the same requests (OTLP/HTTP with `node:http`, OTLP/gRPC
 * with `@grpc/grpc-js`), each in its own process, on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface Endpoint {
  host: string;
  port: number;
}

/** A running server process: where its OTLP listeners are, and how to stop it. */
export interface Server {
  pid: number;
  otlpHttp: Endpoint;
  otlpGrpc: Endpoint;
  /** Base URL for GETs (the daemon's --http listener; baseline A's HTTP port). */
  httpUrl: string;
  /** The process's current and peak resident set, in bytes. */
  memory(): { rss: number; peak: number };
  /**
   * SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, 15 s); resolves with what
   * went wrong (a non-zero exit, a kill), or null on a clean exit.
   */
  stop(timeoutMs?: number): Promise<string | null>;
  /** SIGKILL, not waiting. */
  kill(): void;
}

function endpoint(address: string): Endpoint {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Waits for the first stdout line of `child` (its `listening` JSON), or rejects when it exits first. */
function firstLine(child: ChildProcess, what: string, logFile: string | null): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolveLine(line);
    });
    child.once('exit', (code) => {
      const log = logFile ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      reject(new Error(`${what} exited with ${code} before listening\n${log}`));
    });
  });
}

function stopper(child: ChildProcess, what: string, logFile: string | null): (timeoutMs?: number) => Promise<string | null> {
  return (timeoutMs = 15_000) =>
    new Promise((resolveStop) => {
      if (child.exitCode !== null) return resolveStop(null);
      child.removeAllListeners('exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolveStop(null);
        const log = logFile ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-3).join('\n') : '';
        const how = signal === 'SIGKILL' ? `did not exit within ${timeoutMs / 1000} s of SIGTERM (killed)` : `exited with ${code ?? signal}`;
        resolveStop(`${what} ${how}${log ? `; its last log lines:\n${log}` : ''}`);
      });
      child.kill('SIGTERM');
    });
}

/** Extra Node flags for the daemons, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
function nodeArgs(): string[] {
  return (process.env.PARACLE_BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}

/**
 * Starts `node [$PARACLE_BENCH_NODE_ARGS] DIST/cli/main.js serve` on loopback port 0 with `config` (the `paracle_config`
 * block) and its log going to `workDir/daemon.log`.
 */
export async function startDaemon(
  dist: string,
  runsDir: string,
  workDir: string,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<Server & { logFile: string }> {
  const configFile = join(workDir, 'paracle.yaml');
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify({ paracle_config: config }));
  const logFile = join(workDir, 'daemon.log');
  const log = openSync(logFile, 'a');
  const loopback = '127.0.0.1:0';
  const child = spawn(
    process.execPath,
    [...nodeArgs(), resolve(dist, 'cli/main.js'), 'serve', '--config', configFile, '--runs-dir', runsDir, '--otlp-http', loopback, '--otlp-grpc', loopback, '--http', loopback],
    { stdio: ['ignore', 'pipe', log], env: { ...process.env, ...env } },
  );
  closeSync(log);
  return { ...(await listeningServer(child, `paracle serve (${dist})`, logFile)), logFile };
}

/** A started server process, once its `listening` line is read. */
async function listeningServer(child: ChildProcess, what: string, logFile: string | null): Promise<Server> {
  const listening = JSON.parse(await firstLine(child, what, logFile)) as { otlp_http: string; otlp_grpc: string; http: string };
  child.stdout!.resume();
  const pid = child.pid!;
  return {
    pid,
    otlpHttp: endpoint(listening.otlp_http),
    otlpGrpc: endpoint(listening.otlp_grpc),
    httpUrl: `http://${listening.http}`,
    memory: () => processMemory(pid),
    stop: stopper(child, what, logFile),
    kill: () => void child.removeAllListeners('exit').kill('SIGKILL'),
  };
}

/**
 * Baseline A. Answers OTLP/HTTP POSTs with an empty ExportTraceServiceResponse once the body
 * is drained, any GET with a small JSON body, and OTLP/gRPC Export calls with an empty reply,
 * the messages passed through as bytes (no decoding, as the HTTP side).
 */
const BASELINE_SERVER = `
import { createServer } from 'node:http';
import { Server, ServerCredentials } from '@grpc/grpc-js';
const empty = Buffer.alloc(0);
const http = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"runs":[]}');
    return;
  }
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end(empty);
  });
});
const bytes = (b) => b;
const grpc = new Server();
grpc.addService(
  { Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false,
    requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } },
  { Export: (_call, callback) => callback(null, empty) },
);
const grpcPort = await new Promise((ok, fail) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? fail(err) : ok(port))));
http.listen(0, '127.0.0.1', () => {
  const address = '127.0.0.1:' + http.address().port;
  console.log(JSON.stringify({ event: 'listening', otlp_http: address, otlp_grpc: '127.0.0.1:' + grpcPort, http: address }));
});
process.on('SIGTERM', () => { grpc.forceShutdown(); http.close(); http.closeAllConnections(); });
`;

/** Starts baseline A in its own Node process (resolving `@grpc/grpc-js` from `cwd`). */
export async function startBaselineServer(cwd: string): Promise<Server> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BASELINE_SERVER], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  return listeningServer(child, 'baseline server', null);
}

/** The sum of the samples of `name` in a Prometheus text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Scrapes the daemon's `/metrics` and sums `name`. */
export async function scrapeMetric(server: Server, name: string): Promise<number> {
  const res = await fetch(`${server.httpUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  return metricSum(await res.text(), name);
}
