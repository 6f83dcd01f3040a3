export { ApiServer } from './server.js';
export type { ApiServerOptions, Readiness } from './server.js';
export type { RunsApiOptions, MaintenanceRunner, UploadScrubber } from './runs-api.js';
export { Router } from './router.js';
export type { Route, RouteRequest, Authorize, ApiRole, HttpMethod } from './router.js';
export type { MaintenanceRequest } from './query.js';
export { openApiDocument, openApiPath, jsonContent, PATH_PARAMS } from './openapi.js';
export type { RouteDoc, ResponseDoc, QueryDoc, ContentDoc, SchemaObject, OpenApiOptions } from './openapi.js';
