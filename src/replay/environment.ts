import { formatHostPort, localAddressOf, type HostPort } from '../lib/index.js';

/** What a replay adds to the environment of its command (INTERFACE.md §7). */
export interface ReplayVariables {
  /** The run being replayed: `PARACLE_REPLAY_OF`. */
  replayOf: string;
  /** The W3C traceparent naming the replay's trace and parent span: `TRACEPARENT`. */
  traceparent: string;
  /** This daemon's OTLP/HTTP base URL: `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  otlpEndpoint: string;
  /** The model asked for, if any: `PARACLE_MODEL`. */
  model: string | null;
}

/**
 * Variables of the daemon's environment a replay never passes on, besides the key variables:
 * signal-specific OTLP endpoints would win over `OTEL_EXPORTER_OTLP_ENDPOINT` and send the
 * replay's telemetry elsewhere, and a `PARACLE_MODEL` or `TRACEPARENT` of the daemon's own
 * would pose as the replay's.
 */
const NOT_PASSED_ON = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'PARACLE_MODEL', 'TRACEPARENT', 'TRACESTATE'];

/**
 * The environment of a replayed command: the daemon's own `base`, less the variables that
 * hold keys (`keyVariables`, INTERFACE.md §8) and those that would misdirect the replay,
 * plus the replay's variables. Values are passed to exec as they are, never through a shell.
 */
export function replayEnvironment(base: NodeJS.ProcessEnv, keyVariables: readonly string[], replay: ReplayVariables): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of [...keyVariables, ...NOT_PASSED_ON]) delete env[name];
  env.PARACLE_REPLAY_OF = replay.replayOf;
  env.TRACEPARENT = replay.traceparent;
  env.OTEL_EXPORTER_OTLP_ENDPOINT = replay.otlpEndpoint;
  if (replay.model !== null) env.PARACLE_MODEL = replay.model;
  return env;
}

/** The OTLP/HTTP URL a command on this machine reaches the daemon's listener bound to `address` at. */
export function otlpEndpointFor(address: HostPort): string {
  return `http://${formatHostPort(localAddressOf(address))}`;
}
