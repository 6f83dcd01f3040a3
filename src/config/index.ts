export { defaultConfig, loadConfigFile, parseConfigText, validateConfig } from './load.js';
export { ACCESS_ROLES, RUN_MODES, paracleConfigSchema } from './schema.js';
export { ConfigWatcher } from './watch.js';
export { configJsonSchema } from './json-schema.js';
export type { JsonSchema } from './json-schema.js';
export { configReference } from './reference.js';
export { formatPath } from './issues.js';
export type { ApplyConfig } from './watch.js';
export type { AccessRole, ParacleConfig, RunMode } from './schema.js';
