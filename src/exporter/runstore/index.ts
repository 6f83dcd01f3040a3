export { RunStoreExporter } from './exporter.js';
export type { RunStoreExporterOptions, RunWritten } from './exporter.js';
