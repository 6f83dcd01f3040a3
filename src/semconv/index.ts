export { mapTrace } from './map-trace.js';
export type { MapTraceOptions } from './map-trace.js';
export { logRecordLines } from './logs.js';
