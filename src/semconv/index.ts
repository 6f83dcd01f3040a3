export { mapTrace } from './map-trace.js';
export type { MapTraceOptions } from './map-trace.js';
export { logRecordLines } from './logs.js';
export { describeSpans } from './span-view.js';
export type { SpanView, SpanLlm } from './span-view.js';
