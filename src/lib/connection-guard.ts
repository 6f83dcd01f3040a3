/**
 * One budget of open connections for all of the daemon's listeners, so that clients, slow
 * or many, can neither take every file descriptor the store needs nor keep a normal client
 * out: past the cap the slowest connection (fewest bytes received per second, idle ones
 * included) makes room for a new one, and when no connection is slow the new one is shed.
 * Running out of descriptors anyway (EMFILE) puts the guard under pressure for a while, and
 * listeners shed requests with 503 instead of letting the failure reach the store. The
 * budget itself leaves the store its descriptors: it is never more than the open-file limit
 * allows once what is open at start and a reserve for the store are set aside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** Options of {@link ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /**
   * Open connections over all listeners; null: what the open-file limit leaves room for
   * ({@link connectionRoom}). A number past that room is lowered to it (`onLowered` told).
   */
  maxConnections: number | null;
  /** A connection that received nothing for this long after opening is closed (listeners without their own header timeout). */
  headerTimeoutMs: number;
  /** A connection that received nothing for this long is closed (likewise). */
  idleTimeoutMs: number;
  /** Told when the process runs out of descriptors (once per spell of pressure). */
  onExhausted?: () => void;
  /** Told when `maxConnections` was lowered to what the open-file limit leaves room for. */
  onLowered?: (configured: number, room: number) => void;
  now?: () => number;
}

/** A connection is not closed for a newer one before it is this old. */
const MIN_AGE_MS = 1000;
/** How long an EMFILE keeps the guard under pressure. */
const PRESSURE_MS = 1000;
/** What the guard falls back to when the open-file limit cannot be read. */
const DEFAULT_FILE_LIMIT = 1024;
/**
 * Descriptors kept for everything but connections: the run-store worker's writes and its
 * syncs (32 files at once), the write-ahead log, the index, uploads, archives.
 */
const STORE_RESERVE = 128;
const MIN_CONNECTIONS = 16;
/**
 * Connections not admitted that may be answered (503) at once; past it they are cut. An
 * answered one holds its descriptor until the client closes, and a burst of them (thousands
 * accepted in one turn) would take the store's.
 */
const MAX_ANSWERING = 16;
const SWEEP_MS = 1000;

interface Tracked {
  socket: Socket;
  openedMs: number;
  /** Closed by the guard's own sweep when idle (listeners whose server has no timeouts). */
  swept: boolean;
  lastBytes: number;
  lastProgressMs: number;
}

/** The soft open-file limit of this process (Linux), or null when unknown. */
export function openFileLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line || line[1] === 'unlimited') return null;
    return Number(line[1]);
  } catch {
    return null;
  }
}

/** Descriptors this process has open now (Linux), or 0 when unknown. */
function descriptorsInUse(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * The connections an open-file `limit` leaves room for when `inUse` descriptors are taken
 * already: the rest less the store's reserve, at most three quarters of the limit, never
 * under 16.
 */
export function connectionRoom(limit: number, inUse: number): number {
  return Math.max(MIN_CONNECTIONS, Math.min(Math.floor(0.75 * limit), limit - inUse - STORE_RESERVE));
}

/** See the module comment. */
export class ConnectionGuard {
  readonly maxConnections: number;
  private readonly open = new Set<Tracked>();
  private answering = 0;
  private pressureUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ConnectionGuardOptions) {
    this.now = options.now ?? Date.now;
    const limit = openFileLimit();
    const room = connectionRoom(limit ?? DEFAULT_FILE_LIMIT, descriptorsInUse());
    const configured = options.maxConnections;
    // A configured budget is trusted where the limit is unknown (it may be far above the fallback).
    const lowered = configured !== null && limit !== null && configured > room;
    this.maxConnections = configured === null ? room : lowered ? room : configured;
    if (lowered) options.onLowered?.(configured, room);
  }

  /** Connections open now, over all listeners. */
  get size(): number {
    return this.open.size;
  }

  /** True while the process recently ran out of file descriptors. */
  get underPressure(): boolean {
    return this.now() < this.pressureUntil;
  }

  /** An accept failed with EMFILE/ENFILE: shed requests for a while. */
  noteExhausted(): void {
    if (!this.underPressure) this.options.onExhausted?.();
    this.pressureUntil = this.now() + PRESSURE_MS;
  }

  /**
   * Takes a new connection into the budget; `swept`: the guard closes it when it stays idle
   * (for servers without their own timeouts). Past the cap the slowest connection old enough
   * is closed to make room; when there is none, or under pressure, returns false and the
   * caller sheds the new one.
   */
  admit(socket: Socket, swept = false): boolean {
    if (this.underPressure) return false;
    if (this.open.size >= this.maxConnections && !this.evictSlowest()) return false;
    const nowMs = this.now();
    const tracked: Tracked = { socket, openedMs: nowMs, swept, lastBytes: 0, lastProgressMs: nowMs };
    this.open.add(tracked);
    socket.once('close', () => this.open.delete(tracked));
    if (swept) this.timer ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return true;
  }

  /**
   * For a connection {@link admit} refused: true when it may be answered before it is closed
   * (it counts until it closes), false when it must be cut at once, its descriptor freed now.
   */
  mayAnswer(socket: Socket): boolean {
    if (this.answering >= MAX_ANSWERING) return false;
    this.answering++;
    socket.once('close', () => this.answering--);
    return true;
  }

  /** Stops the sweep (the listeners close their connections themselves). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes the open connection that received the fewest bytes per second, past its first second. */
  private evictSlowest(): boolean {
    const nowMs = this.now();
    let slowest: Tracked | null = null;
    let slowestRate = Infinity;
    for (const tracked of this.open) {
      const age = nowMs - tracked.openedMs;
      if (age < MIN_AGE_MS) continue;
      const rate = tracked.socket.bytesRead / age;
      if (rate < slowestRate) {
        slowest = tracked;
        slowestRate = rate;
      }
    }
    if (slowest === null) return false;
    this.open.delete(slowest);
    slowest.socket.destroy();
    return true;
  }

  /** Closes swept connections that never sent anything, or went quiet, for too long. */
  private sweep(): void {
    const nowMs = this.now();
    let swept = 0;
    for (const tracked of this.open) {
      if (!tracked.swept) continue;
      swept++;
      const bytes = tracked.socket.bytesRead;
      if (bytes !== tracked.lastBytes) {
        tracked.lastBytes = bytes;
        tracked.lastProgressMs = nowMs;
        continue;
      }
      const limit = bytes === 0 ? this.options.headerTimeoutMs : this.options.idleTimeoutMs;
      if (nowMs - tracked.lastProgressMs >= limit) tracked.socket.destroy();
    }
    if (swept === 0) this.stop();
  }
}
