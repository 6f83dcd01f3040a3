export { Replayer } from './replayer.js';
export type { ReplayerOptions, ReplayCommand, ReplayCommands, ReplayRequest, ReplayStarted, ReplayStore } from './replayer.js';
export { otlpEndpointFor } from './environment.js';
