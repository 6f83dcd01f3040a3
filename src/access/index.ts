export { checkExposure } from './exposure.js';
export type { AccessPolicy } from './exposure.js';
