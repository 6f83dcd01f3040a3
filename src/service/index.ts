export { startDaemon } from './service.js';
export type { ServeSettings, Daemon } from './service.js';
