import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/codec/otlp/index.js';
import { collectSoon, fullCollector } from '../../../src/lib/index.js';
import type { LogRecord } from '../../../src/model/index.js';
import { ingest, LARGE_REQUEST_BYTES, type IngestTarget } from '../../../src/receiver/otlp/ingest.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { spanProto, tracesRequestProto } from '../../helpers/hostile-payloads.js';

/** Counts this thread's major collections while `work` runs, and a turn after. */
async function majorCollections(work: () => unknown): Promise<number> {
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await work();
    await settle();
  } finally {
    observer.disconnect();
  }
  return major;
}

/** Two turns of the event loop (a collection asked for runs on the next one), and GC entries delivered. */
async function settle(): Promise<void> {
  await nextTurn();
  await nextTurn();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** This thread's heap in use, after everything before is collected. */
const heapUsed = (): number => getHeapStatistics().used_heap_size;

/** A target that counts the spans handed on and keeps none. */
function target(): { target: IngestTarget; received: { count: number } } {
  const received = { count: 0 };
  return {
    received,
    target: {
      spans: { consumeSpans: (spans) => ((received.count += spans.length), Promise.resolve()) },
      logs: { consumeLogs: (_logs: LogRecord[]) => Promise.resolve() },
      metrics: new Metrics({ defaultMetrics: false }),
      logger: silentLogger(),
      untracedLogs: 'drop',
      limits: DEFAULT_LIMITS,
    },
  };
}

function request(spans: number): Buffer {
  const traceId = 'ab'.repeat(16);
  return tracesRequestProto(Array.from({ length: spans }, (_, i) => spanProto({ traceId, index: i + 1, parent: i === 0 ? undefined : 0 })));
}

describe('the garbage of a large request', () => {
  it('is collected once the request is handed on; an ordinary batch leaves it to V8', async () => {
    // ~570 bytes a span decoded: 40,000 spans are past LARGE_REQUEST_BYTES, 512 far below.
    const large = request(40_000);
    const small = request(512);
    expect(LARGE_REQUEST_BYTES).toBeGreaterThan(512 * 570 * 10);
    const collect = fullCollector();
    const b = target();
    collect();
    expect(await majorCollections(() => ingest('traces', small, 'protobuf', 'http_protobuf', b.target))).toBe(0);
    expect(b.received.count).toBe(512);
    // The decoded spans (~23 MB, promoted while decoded in slices) are gone a turn later.
    const a = target();
    collect();
    const before = heapUsed();
    await ingest('traces', large, 'protobuf', 'http_protobuf', a.target);
    await settle();
    expect(a.received.count).toBe(40_000);
    expect(heapUsed() - before).toBeLessThan(8 * 1024 * 1024);
  }, 60_000);

  it('is collected once however many large requests ask in one turn', async () => {
    const once = await majorCollections(() => collectSoon());
    const thrice = await majorCollections(() => (collectSoon(), collectSoon(), collectSoon()));
    expect(once).toBeGreaterThan(0);
    expect(thrice).toBe(once);
  });
});
