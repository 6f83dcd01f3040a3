import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/codec/otlp/index.js';
import { deferredCollector } from '../../../src/lib/index.js';
import type { LogRecord, Span } from '../../../src/model/index.js';
import { ingest, LARGE_REQUEST_BYTES, type IngestTarget } from '../../../src/receiver/otlp/ingest.js';
import { Metrics, silentLogger } from '../../../src/telemetry/index.js';
import { spanProto, tracesRequestProto } from '../../helpers/hostile-payloads.js';

/** Counts the forced (asked for, not V8's own) collections of this thread while `work` runs, and a turn after. */
async function forcedCollections(work: () => Promise<unknown>): Promise<number> {
  let forced = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((((entry as { detail?: { flags?: number } }).detail?.flags ?? 0)) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) forced++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await work();
    await nextTurn();
    await nextTurn();
    // GC entries are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    observer.disconnect();
  }
  return forced;
}

function target(): { target: IngestTarget; received: Span[] } {
  const received: Span[] = [];
  return {
    received,
    target: {
      spans: { consumeSpans: (spans) => (received.push(...spans), Promise.resolve()) },
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
    const a = target();
    expect(await forcedCollections(() => ingest('traces', large, 'protobuf', 'http_protobuf', a.target))).toBeGreaterThan(0);
    expect(a.received).toHaveLength(40_000);
    const b = target();
    expect(await forcedCollections(() => ingest('traces', small, 'protobuf', 'http_protobuf', b.target))).toBe(0);
    expect(b.received).toHaveLength(512);
    expect(LARGE_REQUEST_BYTES).toBeGreaterThan(512 * 570 * 10);
  }, 60_000);

  it('is collected once however many large requests ask in one turn', async () => {
    const collect = deferredCollector();
    const once = await forcedCollections(async () => collect());
    const thrice = await forcedCollections(async () => (collect(), collect(), collect()));
    expect(once).toBeGreaterThan(0);
    expect(thrice).toBe(once);
  });
});
