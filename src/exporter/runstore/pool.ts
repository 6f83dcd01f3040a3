import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packedNames } from '../../codec/otlp/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { MaterializeOutcome } from './materializer.js';
import type { TraceRun } from './trace-runs.js';
import { workerFailure, type Reply, type Request, type WireJob } from './protocol.js';
import type { WorkerSetup } from './worker.js';

interface Waiting {
  resolve: (value: MaterializeOutcome | null) => void;
  reject: (err: unknown) => void;
}

/**
 * The young generation of a worker, in MB (V8 sizes it at three semi-spaces). V8 12 and later
 * (Node 22, 24) grow it to 96 MB, which a worker mapping a large trace fills and keeps:
 * measured on a root with 200,000 children, the process peaked at 354–386 MiB on Node 24
 * with it and at 305–334 MiB with 24 MB (Node 20's default is 48).
 */
const WORKER_YOUNG_GENERATION_MB = 24;

/**
 * The old generation of a worker, in MB. V8 lets a heap grow by a factor of its live size
 * before collecting it again, and picks the factor by this limit: 4 from 2 GB up (the
 * default on most servers), 1.8 at 1.5 GB. A worker mapping a root with 200,000 children
 * holds ~95 MB live and made ~300 MB of garbage between collections with the default (and
 * Node 24 keeps freed pages pooled, resident): four concurrent requests of its spans peaked
 * the process at 489–589 MiB, and at 336–368 MiB with this limit and large bodies decoded
 * one at a time (receiver/otlp). A worker whose trace needs more than this live fails (it
 * is replaced), as it would at the default on a smaller machine.
 */
const WORKER_OLD_GENERATION_MB = 1536;

/** One worker thread and the requests it has not answered. */
interface Slot {
  worker: Worker;
  waiting: Map<number, Waiting>;
  ready: Promise<void>;
  /** It loaded and took requests (one that fails to start is not replaced). */
  serving: boolean;
  /** Names of the packed-span name table this worker was sent. */
  namesSent: number;
}

/**
 * Worker threads that materialize traces (see ./worker.ts), so mapping, encoding and file
 * writes never block the event loop that receives, logs and assembles. A trace always goes
 * to the same worker (by its id), which answers in order. A worker that dies fails what it
 * had not answered and is replaced.
 */
export class MaterializerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly size: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the workers and resolves once each has loaded (throws what one failed with), so a
   * daemon that answers can write. Requests to a worker that failed fail with its error.
   */
  async start(): Promise<void> {
    while (this.slots.length < this.size) this.slots.push(this.spawn());
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /**
   * Materializes one trace in its worker; a packed batch's buffer is transferred (unusable
   * here afterwards). The names the worker lacks to unpack it go with it.
   */
  materialize(job: Omit<WireJob, 'names'>): Promise<MaterializeOutcome> {
    const slot = this.slots[hashOf(job.trace.traceId) % this.slots.length]!;
    const spans = job.trace.spans;
    const transfer = Array.isArray(spans) ? [] : [spans.packed.bytes.buffer];
    return this.send(
      slot,
      (id) => {
        // Taken when the message goes (after `ready`), so that names reach a new worker in order.
        const table = packedNames();
        const names = table.slice(slot.namesSent);
        slot.namesSent = table.length;
        return { id, type: 'job', job: { ...job, names } };
      },
      transfer,
    ) as Promise<MaterializeOutcome>;
  }

  /** Counts the artifacts of the trace's run again after an upload, in its worker (after its writes handed in before). */
  artifactsChanged(traceId: string, location: TraceRun | null): Promise<MaterializeOutcome> {
    const slot = this.slots[hashOf(traceId) % this.slots.length]!;
    return this.send(slot, (id) => ({ id, type: 'artifacts', traceId, location })) as Promise<MaterializeOutcome>;
  }

  /** Makes every file the workers wrote before this call durable (all of it once stopped: {@link shutdown} synced). */
  async syncWritten(): Promise<void> {
    if (this.stopped) return;
    await Promise.all(this.slots.map((slot) => this.send(slot, (id) => ({ id, type: 'sync' }))));
  }

  /** Syncs what was written, then stops the workers. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.syncWritten();
    this.stopped = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private async send(slot: Slot, request: (id: number) => Request, transfer: ArrayBuffer[] = []): Promise<MaterializeOutcome | null> {
    if (this.stopped) throw new Error('the run-store exporter is stopped');
    await slot.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.postMessage(request(id), transfer);
    });
  }

  private spawn(): Slot {
    const { url, eval: evalCode } = workerEntry();
    const worker = new Worker(evalCode ?? url, {
      workerData: this.setup,
      eval: evalCode !== undefined,
      name: 'paracle-materializer',
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
    });
    const waiting = new Map<number, Waiting>();
    let started!: () => void;
    let failed!: (err: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    ready.catch(() => undefined); // reported to whoever sends to it
    const slot: Slot = { worker, waiting, ready, serving: false, namesSent: 0 };
    worker.on('message', (reply: Reply) => {
      if (reply.id === 0) {
        slot.serving = true;
        return started();
      }
      const request = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.ok) request?.resolve(reply.value);
      else request?.reject(workerFailure(reply.error));
    });
    worker.on('error', (err) => {
      failed(err);
      this.logger.error({ err }, 'a run-store worker failed');
    });
    worker.on('exit', (code) => {
      const err = new Error(`the run-store worker stopped (exit code ${code})`);
      for (const request of waiting.values()) request.reject(err);
      waiting.clear();
      failed(err);
      if (this.stopped || !slot.serving) return;
      // Jobs keep going to this slot: give it a new worker.
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.spawn();
    });
    return slot;
  }
}

/**
 * The worker's script. From the compiled build it is worker.js beside this file; run from
 * the TypeScript sources (the tests import them), worker.ts is loaded through tsx.
 */
function workerEntry(): { url: URL; eval?: string } {
  const compiled = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { url: compiled };
  const source = new URL('./worker.ts', import.meta.url);
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`;
  return { url: source, eval: code };
}

/** A stable small hash of a trace id (hex), to pick its worker. */
function hashOf(traceId: string): number {
  return Number.parseInt(traceId.slice(-6), 16) || 0;
}
