export { RunStoreExporter } from './exporter.js';
export type { RunStoreExporterOptions } from './exporter.js';
