/**
 * Decoding a request gives the event loop back (issue 13, Deliver 3: no request blocks it for
 * more than ~50 ms): a ticker on the same loop keeps ticking while a body of millions of
 * attributes is decoded. Bounded with a 10x margin; the count of ticks shows it yielded.
 */
import { describe, expect, it } from 'vitest';
import { decodeLogsAsync, decodeTracesAsync } from '../../../src/codec/otlp/index.js';
import { manyAttributesLogProto, manyAttributesSpanProto, tracesRequestProto } from '../../helpers/hostile-payloads.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Runs `work` while a ticker measures the longest the loop was held; resolves with it and the ticks. */
async function watchLoop(work: () => Promise<unknown>): Promise<{ worstGapMs: number; ticks: number }> {
  let last = performance.now();
  let worstGapMs = 0;
  let ticks = 0;
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  running = false;
  return { worstGapMs, ticks };
}

describe('decoding a large request', () => {
  it.each([
    ['a span with 4,000,000 attributes', 'traces', 'protobuf'],
    ['a log record with 4,000,000 attributes', 'logs', 'protobuf'],
    ['OTLP/JSON of 200,000 attributes', 'traces', 'json'],
  ] as const)('never holds the event loop for long (%s)', async (_case, signal, format) => {
    // Built before the watch starts: only the decoding is timed.
    const body = format === 'json' ? jsonBody(200_000) : signal === 'logs' ? manyAttributesLogProto(TRACE_ID, 4_000_000) : tracesRequestProto([manyAttributesSpanProto(TRACE_ID, 4_000_000)]);
    const decode = signal === 'logs' ? () => decodeLogsAsync(body, format) : () => decodeTracesAsync(body, format);
    const { worstGapMs, ticks } = await watchLoop(decode);
    expect(ticks).toBeGreaterThan(5);
    expect(worstGapMs).toBeLessThan(500);
  }, 60_000);
});

function jsonBody(count: number): Buffer {
  const attributes = Array.from({ length: count }, (_, i) => `{"key":"k${i}","value":{"intValue":"${i}"}}`).join(',');
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"00f067aa0ba902b7","attributes":[${attributes}]}]}]}]}`);
}
