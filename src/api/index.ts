export { ApiServer } from './server.js';
export type { ApiServerOptions, Readiness } from './server.js';
export type { RunsApiOptions, Authorize, ApiRole, MaintenanceRunner } from './runs-api.js';
export type { MaintenanceRequest } from './query.js';
