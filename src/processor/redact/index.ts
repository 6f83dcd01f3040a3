export { RedactStage, Redaction } from './redact.js';
export type { RedactionMetrics } from './redact.js';
