/**
 * Property tests of the assembler (fast-check, fixed seed): whatever batches come in (spans
 * of a few traces, repeated, late, over the per-trace limit, refused when memory is full),
 * every span taken is handed on in a final snapshot (once in it), the per-trace limit holds,
 * and the memory bound is back at zero once everything is stored. `FUZZ_RUNS` raises runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/lib/index.js';
import type { Span } from '../../../src/model/index.js';
import type { Reservation } from '../../../src/contracts/index.js';
import { assemblerHarness } from '../../helpers/assembler.js';
import { hexId, span } from '../../helpers/otlp-arbitraries.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);

/** A reservation as a receiver makes one. */
function reserved(bytes: number): Reservation & { bytes: number } {
  return {
    bytes,
    take() {
      const taken = this.bytes;
      this.bytes = 0;
      return taken;
    },
  };
}

type Step = { batch: Span[]; bytes: number } | { advanceMs: number };

const traceIds = fc.constantFrom(...fc.sample(hexId(16), { numRuns: 4, seed: 1 }));
const steps = fc.array(
  fc.oneof(
    fc.record({ batch: fc.array(span(traceIds, 2), { minLength: 1, maxLength: 6 }), bytes: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({ advanceMs: fc.constantFrom(10, 500, 2500, 400_000) }),
  ),
  { maxLength: 30 },
);

describe('the assembler under any sequence of batches', () => {
  it('hands every span it took on exactly once, within the per-trace limit, and frees all its memory', async () => {
    await fc.assert(fc.asyncProperty(steps, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 4, max: 40 }), async (input: Step[], perTrace, maxSpans) => {
      const { assembler, sink, advance } = assemblerHarness({ maxSpansPerTrace: perTrace, maxSpansInMemory: maxSpans, maxBytesInMemory: 20_000 });
      const taken = new Map<string, Set<string>>();
      for (const step of input) {
        if ('advanceMs' in step) {
          advance(step.advanceMs);
          continue;
        }
        const { admitted } = assembler.admit(step.batch);
        if (!assembler.memory.tryReserve(step.bytes)) continue;
        const reservation = reserved(step.bytes);
        try {
          await assembler.consumeSpans(admitted, { format: 'json', decodedBytes: step.bytes, reservation });
          for (const s of admitted) {
            const ids = taken.get(s.traceId) ?? new Set();
            if (ids.size < perTrace || ids.has(s.spanId)) ids.add(s.spanId);
            taken.set(s.traceId, ids);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(RetryableError);
        } finally {
          assembler.memory.release(reservation.take());
        }
      }
      advance(400_000);
      await assembler.shutdown();
      expect(assembler.spansInMemory).toBe(0);
      expect(assembler.bytesInMemory).toBe(0);
      // A span sent again after its trace was handed on comes again in a late snapshot (the
      // run store merges it away); within a snapshot each span is there once.
      const handedOn = new Map<string, Set<string>>();
      for (const trace of sink.traces.filter((t) => t.phase !== 'started')) {
        const ids = trace.spans.map((s) => s.spanId);
        expect(new Set(ids).size).toBe(ids.length);
        handedOn.set(trace.traceId, new Set([...(handedOn.get(trace.traceId) ?? []), ...ids]));
      }
      for (const [traceId, ids] of handedOn) {
        expect(ids.size).toBeLessThanOrEqual(perTrace);
        expect(ids).toEqual(taken.get(traceId));
      }
      expect([...taken.keys()].filter((id) => (taken.get(id)?.size ?? 0) > 0).sort()).toEqual([...handedOn.keys()].sort());
    }), { numRuns: RUNS, seed: SEED });
  });
});
