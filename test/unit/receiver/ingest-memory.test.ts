import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/codec/otlp/index.js';
import { collectSoon, fullCollector } from '../../../src/lib/index.js';
import type { LogRecord } from '../../../src/model/index.js';
import { ingest, LARGE_BODY_BYTES, LARGE_REQUEST_BYTES, type IngestTarget } from '../../../src/receiver/otlp/ingest.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { manyAttributesSpanProto, spanProto, tracesRequestProto } from '../../helpers/hostile-payloads.js';

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

  it('is collected for a large body cut by the limits, which decodes to little', async () => {
    // 2,500,000 empty attributes (5 MB), cut to 4,096 while decoded.
    const cut = tracesRequestProto([manyAttributesSpanProto('cd'.repeat(16), 2_500_000)]);
    const c = target();
    const collections = await majorCollections(() => ingest('traces', cut, 'protobuf', 'http_protobuf', c.target));
    expect(c.received.count).toBe(1);
    expect(collections).toBeGreaterThan(0);
  }, 60_000);

  it('is collected once however many large requests ask in one turn', async () => {
    const once = await majorCollections(() => collectSoon());
    const thrice = await majorCollections(() => (collectSoon(), collectSoon(), collectSoon()));
    expect(once).toBeGreaterThan(0);
    expect(thrice).toBe(once);
  });
});

describe('large request bodies', () => {
  it('are decoded one at a time, each handed on before the next starts; small ones never wait', async () => {
    // Bytes reserved while decoding and not yet handed on, at most, over all requests.
    let decoding = 0;
    let most = 0;
    const memory = {
      maxBytes: 1 << 30,
      tryReserve: (bytes: number) => ((decoding += bytes), (most = Math.max(most, decoding)), true),
      release: (bytes: number) => void (decoding -= bytes),
    };
    const order: string[] = [];
    const handedOn = (name: string): IngestTarget => ({
      ...target().target,
      memory,
      spans: {
        consumeSpans: (_spans, source) => {
          decoding -= source?.reservation?.take() ?? 0;
          order.push(name);
          return Promise.resolve();
        },
      },
    });
    const large = request(20_000);
    expect(large.byteLength).toBeGreaterThanOrEqual(LARGE_BODY_BYTES);
    const alone = handedOn('alone');
    await ingest('traces', large, 'protobuf', 'http_protobuf', alone);
    const one = most;
    most = 0;
    order.length = 0;
    await Promise.all([
      ...['a', 'b', 'c'].map((name) => ingest('traces', large, 'protobuf', 'http_protobuf', handedOn(name))),
      ingest('traces', request(512), 'protobuf', 'http_protobuf', handedOn('small')),
    ]);
    // Interleaved, the three would hold three requests' decoded items at once.
    expect(most).toBeLessThan(one * 1.5);
    expect(order.indexOf('small')).toBeLessThan(order.indexOf('c'));
    expect(order.filter((name) => name !== 'small')).toEqual(['a', 'b', 'c']);
  }, 60_000);
});
