import { parentPort, workerData } from 'node:worker_threads';
import { unpackBatch, viewBatch } from '../../codec/otlp/index.js';
import { loadPriceBook, type PriceBookFiles } from '../../pricing/index.js';
import { parseMasterKey } from '../../crypt/index.js';
import { attachEncryptedStore, RunFiles } from '../../store/index.js';
import { LARGE_TRACE_SPANS, largeTraceReclaimer, Materializer, type MaterializeJob, type MaterializeOutcome, type MaterializerOptions } from './materializer.js';
import { errorMessage, type Reply, type Request, type WireJob } from './protocol.js';

/** What the pool hands each worker when it starts. */
export interface WorkerSetup extends MaterializerOptions {
  pricing: PriceBookFiles;
  /** The master key of an encrypted store (hex, and where it came from); null: plaintext. */
  masterKey: { hex: string; source: string } | null;
}

/**
 * Files written and not yet synced at which the worker syncs them on its own, between two
 * jobs: bounds what it remembers (and what a checkpoint then has to sync at once).
 */
const MAX_UNSYNCED = 100_000;

// The run-store exporter's worker thread: materializes the jobs the pool sends, one at a
// time in arrival order, with synchronous file I/O, and syncs what it wrote when asked.
const setup = workerData as WorkerSetup;
const io = new RunFiles();
// Encryption happens here, in the worker, with the files it writes.
if (setup.masterKey) {
  const master = parseMasterKey(setup.masterKey.hex, setup.masterKey.source);
  attachEncryptedStore(setup.runsDir, master, (file) => io.remember(file));
}
const reclaim = largeTraceReclaimer();
const materializer = new Materializer(setup, await loadPriceBook(setup.pricing), io, reclaim);
const port = parentPort!;
/** The pool's packed-span name table, as far as it was sent. */
const names: string[] = [];

// A sync runs on the thread pool while jobs go on; one at a time, in order.
let syncing: Promise<void> = Promise.resolve();
const sync = (): Promise<void> => (syncing = syncing.catch(() => undefined).then(() => io.syncWritten()));

port.on('message', (request: Request) => {
  if (request.type === 'sync') {
    sync().then(
      () => port.postMessage({ id: request.id, ok: true, value: null } satisfies Reply),
      (err: unknown) => port.postMessage({ id: request.id, ok: false, error: errorMessage(err) } satisfies Reply),
    );
    return;
  }
  const { id } = request;
  port.postMessage(
    request.type === 'job' ? materialize(id, request.job) : answer(id, () => materializer.artifactsChanged(request.traceId, request.location)),
  );
});
port.postMessage({ id: 0, ok: true, value: null } satisfies Reply);

function materialize(id: number, wire: WireJob): Reply {
  for (const name of wire.names) names.push(name);
  const reply = answer(id, () => materializer.materialize(decoded(wire)));
  // The job (its spans decoded here) is out of reach now, with all its write built.
  reclaim(materializer.lastWriteSpans);
  // Failures are left for the next sync asked for.
  if (io.unsynced > MAX_UNSYNCED) void sync().catch(() => undefined);
  return reply;
}

/** The job with its trace's spans decoded (here, off the event loop that received them). */
function decoded({ trace, location }: WireJob): MaterializeJob {
  const { spans } = trace;
  if (Array.isArray(spans)) return { trace: { ...trace, spans }, location };
  const read = spans.packed.count >= LARGE_TRACE_SPANS ? viewBatch : unpackBatch;
  return { trace: { ...trace, spans: read(spans.packed, trace.traceId, spans.origins, names) }, location };
}

function answer(id: number, work: () => MaterializeOutcome): Reply {
  try {
    return { id, ok: true, value: work() };
  } catch (err) {
    return { id, ok: false, error: errorMessage(err) };
  }
}
