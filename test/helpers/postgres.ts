import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';

/** A throw-away PostgreSQL cluster on 127.0.0.1 (and a unix socket in its temp dir). */
export interface TestPostgres {
  /** postgresql://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  /**
   * An outage: stops the server (its clients lose their connections); `resume` starts it
   * again on the same port with the same data.
   */
  interrupt(): Promise<{ resume(): Promise<void> }>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** Debian's server binaries: the newest /usr/lib/postgresql/<major>/bin. */
async function serverBin(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const majors = (await readdir(root).catch(() => [])).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new Error(`no PostgreSQL server under ${root}: install the postgresql package (.ci/run does)`);
  return join(root, majors[0]!, 'bin');
}

/**
 * The server refuses to run as root, so as root (here and in CI) its programs run as the
 * `postgres` user the Debian package creates; as anyone else, as that user.
 */
function asServerUser(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

/**
 * Makes a cluster in a temp dir (initdb, trust auth) and starts it on a free loopback port
 * with fsync off (test data only: a machine's crash may lose it); resolves once it takes
 * connections (within `timeoutMs`). synchronous_commit stays on, as in production: a
 * daemon drops a trace from its log once PostgreSQL has committed its run, and an
 * asynchronous commit is lost when the server crashes (interrupt() is a crash).
 */
export async function startPostgres(timeoutMs = 30_000): Promise<TestPostgres> {
  const bin = await serverBin();
  const dir = await mkdtemp(join(tmpdir(), 'paracle-pg-'));
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o700 });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
    await chown(data, uid, gid);
  }
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
  try {
    execFileSync(initdb, initArgs, { stdio: 'pipe', timeout: timeoutMs });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? String(err)}`, { cause: err });
  }
  const port = await freePort();
  const [postgres, args] = asServerUser(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=32MB', '-c', 'max_connections=200',
  ]);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let server = await serve(postgres, args, url, timeoutMs).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const stop = async (): Promise<void> => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const interrupt = async (): Promise<{ resume(): Promise<void> }> => {
    await server.stop();
    return { resume: async () => void (server = await serve(postgres, args, url, timeoutMs)) };
  };
  return { url, port, interrupt, stop };
}

/** Starts the server process; resolves once it takes connections. */
async function serve(program: string, args: string[], url: string, timeoutMs: number): Promise<{ stop(): Promise<void> }> {
  // Its own process group, so stop() reaches the server's children too.
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = (): Promise<void> => stopGroup(child, exited);
  try {
    await waitForConnections(url, exited, timeoutMs);
  } catch (err) {
    await stop();
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return { stop };
}


async function waitForConnections(url: string, exited: Promise<void>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error('the server exited');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw err;
    }
    await sleep(100);
  }
}

/** Immediate shutdown of the whole group (a restart recovers from its log), SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  signal('SIGQUIT');
  const killer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

