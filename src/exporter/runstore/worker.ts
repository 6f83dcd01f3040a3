import { parentPort, workerData } from 'node:worker_threads';
import { loadPriceBook, type PriceBookFiles } from '../../pricing/index.js';
import { RunFiles } from '../../store/index.js';
import { Materializer, type MaterializeJob, type MaterializerOptions } from './materializer.js';
import { errorMessage, type Reply, type Request } from './protocol.js';

/** What the pool hands each worker when it starts. */
export interface WorkerSetup extends MaterializerOptions {
  pricing: PriceBookFiles;
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
const materializer = new Materializer(setup, await loadPriceBook(setup.pricing), io);
const port = parentPort!;

port.on('message', (request: Request) => {
  port.postMessage(handle(request));
});
port.postMessage({ id: 0, ok: true, value: null } satisfies Reply);

function handle(request: Request): Reply {
  try {
    if (request.type === 'sync') {
      io.syncWritten();
      return { id: request.id, ok: true, value: null };
    }
    const outcome = materializer.materialize(request.job as MaterializeJob);
    if (io.unsynced > MAX_UNSYNCED) io.syncWritten();
    return { id: request.id, ok: true, value: outcome };
  } catch (err) {
    return { id: request.id, ok: false, error: errorMessage(err) };
  }
}
