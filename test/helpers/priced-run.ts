import type { RunRecord } from '../../src/model/index.js';
import { createPriceBook, priceUsage } from '../../src/pricing/index.js';
import { mapTrace } from '../../src/semconv/index.js';
import type { TraceBuilder } from './span-builder.js';

const BOOK = createPriceBook([], 'bundled');

/** The run as the exporter writes it: mapped, then priced with the bundled genai-prices data. */
export function pricedRun(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  const cost = priceUsage(record.usageByModel, BOOK, new Date(record.startedAtMs));
  return { ...record, costUsd: cost.costUsd, costSource: cost.costSource, usageByModel: cost.usageByModel };
}
