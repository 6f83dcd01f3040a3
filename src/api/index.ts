export { ApiServer } from './server.js';
export type { ApiServerOptions, Readiness } from './server.js';
export type { RunsApiOptions, Authorize, ApiRole } from './runs-api.js';
