export { createPriceBook } from './price-book.js';
export type { PriceBook } from './price-book.js';
export { parseOverrides } from './overrides.js';
export type { PriceOverride } from './overrides.js';
export { priceUsage, estimateCall } from './estimate.js';
export type { RunCost } from './estimate.js';
export { loadPriceBook } from './load.js';
export type { PriceBookFiles } from './load.js';
