export { ApiServer } from './server.js';
export type { ApiServerOptions, Readiness } from './server.js';
