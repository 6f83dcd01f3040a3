import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Component, SpansConsumer } from '../contracts/index.js';
import { ConflictError, RetryableError } from '../lib/index.js';
import { replayParentSpanId } from '../model/index.js';
import { newRunId, type RunStore } from '../store/index.js';
import type { Logger } from '../telemetry/index.js';
import { startCommand, type CommandEnd, type RunningCommand } from './command.js';
import { replayEndSpan, type ReplayEnd } from './end-span.js';
import { replayEnvironment } from './environment.js';
import { originalOf, pendingRecord, type Original } from './pending.js';

/** How to re-run the runs of one agent or workflow (`replay.agents.<id>`, `replay.workflows.<id>`). */
export interface ReplayCommand {
  /** The program, then its arguments: never a shell string. */
  readonly command: readonly string[];
  readonly timeout_s: number;
}

/** The `replay` config section (INTERFACE.md §6): commands per agent id and per workflow id. */
export interface ReplayCommands {
  readonly agents: Readonly<Record<string, ReplayCommand>>;
  readonly workflows: Readonly<Record<string, ReplayCommand>>;
}

/** What a replay may change (`POST /api/v1/runs/{id}/replay` body, `runs replay` flags). */
export interface ReplayRequest {
  /** Passed to the command as `PARACLE_MODEL`. */
  model?: string;
  /** Replaces the configured `timeout_s` for this replay. */
  timeoutS?: number;
}

/** The answer to a replay request: the new run, pending. */
export interface ReplayStarted {
  run_id: string;
  status: 'pending';
}

/** The store as the replayer uses it. */
export type ReplayStore = Pick<RunStore, 'get' | 'openFile' | 'createReplay' | 'list'>;

/** Options of {@link Replayer}. */
export interface ReplayerOptions {
  store: ReplayStore;
  /** Where a replay's end span goes: the daemon's ingest, as if an agent had sent it. */
  spans: SpansConsumer;
  commands: ReplayCommands;
  /** How the config file spells the key of `section`'s entry `id`, for the error naming it. */
  configKey: (section: keyof ReplayCommands, id: string) => string;
  /** This daemon's OTLP/HTTP URL (known once its listener is bound). */
  otlpEndpoint: () => string;
  /** Variables holding keys (INTERFACE.md §8), never passed to a command. */
  keyVariables: readonly string[];
  /** The environment commands start from; the daemon's own by default. */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** How long a process group gets between SIGTERM and SIGKILL: enough for an SDK to flush. */
const KILL_GRACE_MS = 2000;
/** The longest timeout a timer can hold (about 24 days). */
const MAX_TIMEOUT_MS = 2_147_483_647;
/** How often an end span refused by a full pipeline is offered again, at most. */
const END_SPAN_ATTEMPTS = 30;
const STOPPED = "the daemon stopped before the replay command ended; the command's process group was killed";
const STOPPED_EARLY = 'the daemon stopped before the replay command started';
const RESTARTED = 'the daemon restarted before the replay command ended';

/** One replay: its new run and what its end span says of the original. */
interface Replay extends Omit<ReplayEnd, 'input' | 'endedAtMs' | 'end'> {
  runId: string;
  /** The original's input.json bytes. */
  input: Uint8Array;
}

/**
 * Replays runs (INTERFACE.md §7): for a run of agent (workflow) X it creates the new run as
 * `pending`, then starts `replay.agents.X.command` (`replay.workflows.X.command`) with the
 * original `input.json` bytes on stdin and the replay's environment, and when the command
 * ends sends the replay's end span (./end-span.ts) into the ingest, which makes the run
 * `failed` with the reason in `error` when the command failed or timed out. On start, runs
 * left `pending` by a daemon that crashed are failed the same way; on shutdown, running
 * commands are stopped and their runs failed.
 */
export class Replayer implements Component {
  private commands: ReplayCommands;
  private readonly running = new Map<string, RunningCommand>();
  /** Replay requests being carried out (their runs being made). */
  private readonly starting = new Set<Promise<unknown>>();
  /** Commands and end spans not done yet. */
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private readonly now: () => number;

  constructor(
    private readonly options: ReplayerOptions,
    private readonly logger: Logger,
  ) {
    this.commands = options.commands;
    this.now = options.now ?? Date.now;
  }

  /** Commands running now. */
  get activeCount(): number {
    return this.running.size;
  }

  /** Fails, in the background, the runs a crashed daemon left pending. */
  async start(): Promise<void> {
    if (!this.stopping) this.track(this.failLeftPending(this.leftPending()));
  }

  /** Stops every running command (its run fails) and waits until their end spans are in. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    while (this.starting.size > 0) await Promise.allSettled([...this.starting]);
    for (const command of this.running.values()) command.stop(STOPPED);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Takes a changed `replay` config section: replays asked for from now on use it. */
  reconfigure(commands: ReplayCommands): void {
    this.commands = commands;
  }

  /**
   * Replays `runId`: creates the pending run and starts its command, resolving once the run
   * exists. {@link NotFoundError} for an unknown run; {@link ConflictError} naming the config
   * key when no command is configured for the run's agent or workflow.
   */
  async replay(runId: string, request: ReplayRequest = {}): Promise<ReplayStarted> {
    if (this.stopping) throw new RetryableError('unavailable', 'the daemon is shutting down', 5);
    const starting = this.begin(runId, request);
    this.starting.add(starting);
    try {
      return await starting;
    } finally {
      this.starting.delete(starting);
    }
  }

  private async begin(runId: string, request: ReplayRequest): Promise<ReplayStarted> {
    const original = originalOf(runId, await this.options.store.get(runId));
    if (original === null) throw new ConflictError(`run ${runId} names no agent or workflow id to look a replay command up by`);
    const configured = this.commandFor(original);
    const input = await buffer(await this.options.store.openFile(runId, 'input'));
    const traceId = newTraceId();
    const requestedAtMs = this.now();
    const newId = newRunId(requestedAtMs, traceId);
    await this.options.store.createReplay({ traceId, runId: newId, record: pendingRecord(original, traceId, requestedAtMs), input });
    // AUDIT (issue 14): record the replay here, once the audit trail exists: one line per
    // replay asked for, {actor, action: "replay", run_id: runId, outcome}.
    const { kind, subjectId, name } = original;
    const replay: Replay = { runId: newId, traceId, replayOf: runId, kind, subjectId, name, input, startedAtMs: requestedAtMs };
    if (this.stopping) {
      // Shutdown began while the run was being made: it fails without its command starting.
      this.track(this.sendEnd(replay, { kind: 'stopped', reason: STOPPED_EARLY, stderr: '' }));
    } else {
      this.launch(replay, configured.command, Math.min((request.timeoutS ?? configured.timeout_s) * 1000, MAX_TIMEOUT_MS), request.model ?? null);
    }
    return { run_id: newId, status: 'pending' };
  }

  /** Starts a replay's command; when it ends, its end span is sent. */
  private launch(replay: Replay, argv: readonly string[], timeoutMs: number, model: string | null): void {
    const env = replayEnvironment(this.options.env ?? process.env, this.options.keyVariables, {
      replayOf: replay.replayOf,
      traceparent: `00-${replay.traceId}-${replayParentSpanId(replay.traceId)}-01`,
      otlpEndpoint: this.options.otlpEndpoint(),
      model,
    });
    const command = startCommand({ argv, stdin: replay.input, env, timeoutMs, killGraceMs: KILL_GRACE_MS });
    const log = { run_id: replay.runId, replay_of: replay.replayOf };
    this.running.set(replay.runId, command);
    this.logger.info({ ...log, program: argv[0], pid: command.pid }, 'replay started');
    this.track(
      command.ended.then(async (end) => {
        this.running.delete(replay.runId);
        this.logger.info({ ...log, end: end.kind, code: 'code' in end ? end.code : undefined }, 'replay command ended');
        await this.sendEnd(replay, end);
      }),
    );
  }

  private commandFor(original: Original): ReplayCommand {
    const table = original.kind === 'agent' ? this.commands.agents : this.commands.workflows;
    const command = Object.hasOwn(table, original.subjectId) ? table[original.subjectId] : undefined;
    if (command !== undefined) return command;
    const key = this.options.configKey(original.kind === 'agent' ? 'agents' : 'workflows', original.subjectId);
    throw new ConflictError(`no replay command is configured for ${original.kind} "${original.subjectId}": set ${key} in the daemon's config`);
  }

  /** Sends a replay's end span, offering it again while the pipeline is full. */
  private async sendEnd(replay: Replay, end: CommandEnd): Promise<void> {
    const span = replayEndSpan({ ...replay, input: Buffer.from(replay.input).toString('utf8'), endedAtMs: this.now(), end });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.spans.consumeSpans([span]);
      } catch (err) {
        if (!(err instanceof RetryableError) || attempt >= END_SPAN_ATTEMPTS) {
          this.logger.error({ err, run_id: replay.runId, replay_of: replay.replayOf }, 'the end of a replay could not be recorded');
          return;
        }
        await sleep(Math.min(1000, 50 * attempt));
      }
    }
  }

  /** The runs left pending (no command runs for any at start): read at once, before any new replay. */
  private leftPending(): Record<string, unknown>[] {
    const runs: Record<string, unknown>[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = this.options.store.list({ status: 'pending', limit: 1000, cursor });
      runs.push(...page.runs);
      if (page.nextCursor === null) return runs;
      cursor = page.nextCursor;
    }
  }

  private async failLeftPending(runs: readonly Record<string, unknown>[]): Promise<void> {
    for (const run of runs) {
      const { run_id: runId, trace_id: traceId, replay_of: replayOf, started_at: startedAt } = run;
      const original = typeof replayOf === 'string' ? originalOf(replayOf, run) : null;
      if (typeof runId !== 'string' || typeof traceId !== 'string' || original === null) continue;
      const input = await this.options.store.openFile(runId, 'input').then(buffer, () => Buffer.alloc(0));
      const startedAtMs = typeof startedAt === 'string' ? Date.parse(startedAt) : this.now();
      this.logger.warn({ run_id: runId, replay_of: replayOf }, 'failing a replay a previous daemon left pending');
      const { kind, subjectId, name } = original;
      const replay: Replay = { runId, traceId, replayOf: original.runId, kind, subjectId, name, input, startedAtMs };
      await this.sendEnd(replay, { kind: 'stopped', reason: RESTARTED, stderr: '' });
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.logger.error({ err }, 'a replay failed')).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

/** A random W3C trace id (never all zeros, which means "invalid"). */
function newTraceId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}
