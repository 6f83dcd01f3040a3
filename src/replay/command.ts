import { spawn, type ChildProcess } from 'node:child_process';
import { describeError } from '../lib/index.js';

/** One command to run: an argv, never a shell string. */
export interface CommandSpec {
  /** The program, then its arguments, as configured; passed to exec as they are. */
  argv: readonly string[];
  /** Written to the command's stdin, which is then closed. */
  stdin: Uint8Array;
  env: NodeJS.ProcessEnv;
  /** After this long the command's process group is sent SIGTERM. */
  timeoutMs: number;
  /** After SIGTERM, how long the group gets before SIGKILL. */
  killGraceMs: number;
}

/** How a command ended. `stderr` is the last line it wrote there (at most a few hundred characters). */
export type CommandEnd =
  | { kind: 'exited'; code: number; stderr: string }
  | { kind: 'signaled'; signal: string; stderr: string }
  | { kind: 'timed_out'; afterMs: number; stderr: string }
  | { kind: 'stopped'; reason: string; stderr: string }
  | { kind: 'not_started'; reason: string };

/** A command started by {@link startCommand}. */
export interface RunningCommand {
  /** The process id, which is also its process group id; undefined when it did not start. */
  readonly pid: number | undefined;
  /** Resolves once the command ended and no process of its group is left. Never rejects. */
  readonly ended: Promise<CommandEnd>;
  /** Ends the command early (SIGTERM to its group, SIGKILL after the grace): it ends `stopped`. */
  stop(reason: string): void;
}

// The tail of stderr kept to explain a failure; the rest is not read into memory.
const STDERR_TAIL_BYTES = 4096;
const STDERR_LINE_CHARS = 300;
// After the command's own process exits, how long its stderr may take to close (a process
// that left the group could hold it open forever).
const STDERR_CLOSE_MS = 1000;

/**
 * Starts `spec.argv` in a process group of its own, with `spec.stdin` on stdin and stdout
 * discarded. When the timeout passes (or {@link RunningCommand.stop} is called) the whole
 * group gets SIGTERM, then SIGKILL after the grace; when the command's process exits, what
 * is left of its group is killed, so no child of it outlives the replay. No shell is
 * involved: arguments are never interpreted.
 */
export function startCommand(spec: CommandSpec): RunningCommand {
  const [program, ...args] = spec.argv;
  if (program === undefined) {
    return { pid: undefined, ended: Promise.resolve({ kind: 'not_started', reason: 'the command is empty' }), stop: () => undefined };
  }
  let child: ChildProcess;
  try {
    child = spawn(program, args, { env: spec.env, stdio: ['pipe', 'ignore', 'pipe'], detached: true, shell: false });
  } catch (err) {
    // Arguments spawn refuses outright (a NUL byte in an argument or variable).
    return { pid: undefined, ended: Promise.resolve({ kind: 'not_started', reason: describeError(err) }), stop: () => undefined };
  }
  const pid = child.pid;
  const killGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  let stopping: { kind: 'timed_out' } | { kind: 'stopped'; reason: string } | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (why: NonNullable<typeof stopping>): void => {
    if (stopping !== null) return;
    stopping = why;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs);
  };
  const timer = setTimeout(() => terminate({ kind: 'timed_out' }), spec.timeoutMs);
  let tail = Buffer.alloc(0);
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });
  // A command that does not read its stdin closes the pipe early: not a failure of ours.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(Buffer.from(spec.stdin.buffer, spec.stdin.byteOffset, spec.stdin.byteLength));

  const ended = new Promise<CommandEnd>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      clearTimeout(timer);
      resolve({ kind: 'not_started', reason: startFailure(program, err) });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      killGroup('SIGKILL');
      const closed = new Promise<void>((done) => {
        child.stderr?.once('close', done);
        setTimeout(done, STDERR_CLOSE_MS).unref();
      });
      void closed.then(() => {
        child.stderr?.destroy();
        const stderr = lastLine(tail);
        if (stopping?.kind === 'timed_out') resolve({ kind: 'timed_out', afterMs: spec.timeoutMs, stderr });
        else if (stopping?.kind === 'stopped') resolve({ kind: 'stopped', reason: stopping.reason, stderr });
        else if (code !== null) resolve({ kind: 'exited', code, stderr });
        else resolve({ kind: 'signaled', signal: signal ?? 'unknown signal', stderr });
      });
    });
  });
  return { pid, ended, stop: (reason) => terminate({ kind: 'stopped', reason }) };
}

function startFailure(program: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `"${program}" was not found`;
  if (err.code === 'EACCES') return `"${program}" is not executable`;
  return `"${program}" could not be started (${err.code ?? err.message})`;
}

/** The last non-empty line of `bytes`, cut to a few hundred characters. */
function lastLine(bytes: Buffer): string {
  const line = bytes.toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').at(-1) ?? '';
  return line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS - 1)}…` : line;
}
