/**
 * `paracle/sdk`: instruments an agent written in TypeScript or JavaScript for the Paracle
 * daemon, with the `paracle.*` attributes the daemon maps to runs, and makes it replayable
 * (`TRACEPARENT`, `PARACLE_REPLAY_OF`, `PARACLE_MODEL`). The README and docs/replay.md show
 * it in use. It depends on OpenTelemetry only, never on the daemon's modules.
 */
export { init, shutdown } from './setup.js';
export type { InitOptions } from './setup.js';
export { agentRun, workflowRun, step, llmCall, toolCall, usage, artifact, model } from './runs.js';
export type { Awaitable, LlmCall, Usage, ArtifactOptions } from './runs.js';
