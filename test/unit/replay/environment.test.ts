import { describe, expect, it } from 'vitest';
import { otlpEndpointFor, replayEnvironment } from '../../../src/replay/environment.js';

const REPLAY = {
  replayOf: '01HN7X8K9M2PQRSTUVWXYZ3456',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  otlpEndpoint: 'http://127.0.0.1:4318',
  model: null,
};

describe('the environment of a replayed command (INTERFACE.md §7)', () => {
  it("is the daemon's own, less the key variables, plus the replay's variables", () => {
    const base = { PATH: '/usr/bin', HOME: '/home/a', PARACLE_ENCRYPTION_KEY: 'k1', MY_KEY: 'k2', PARACLE_HMAC_KEY: 'k3', OPENAI_API_KEY: 'sk-x' };
    const env = replayEnvironment(base, ['PARACLE_ENCRYPTION_KEY', 'MY_KEY', 'PARACLE_HMAC_KEY'], REPLAY);
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/a',
      OPENAI_API_KEY: 'sk-x',
      PARACLE_REPLAY_OF: REPLAY.replayOf,
      TRACEPARENT: REPLAY.traceparent,
      OTEL_EXPORTER_OTLP_ENDPOINT: REPLAY.otlpEndpoint,
    });
    expect(base.PARACLE_ENCRYPTION_KEY).toBe('k1');
  });

  it('sets PARACLE_MODEL only when a model is asked for, and drops variables that would misdirect the replay', () => {
    const base = {
      PARACLE_MODEL: 'daemon-own',
      TRACEPARENT: '00-11111111111111111111111111111111-2222222222222222-01',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=a',
    };
    expect(replayEnvironment(base, [], REPLAY)).toEqual({
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=a',
      PARACLE_REPLAY_OF: REPLAY.replayOf,
      TRACEPARENT: REPLAY.traceparent,
      OTEL_EXPORTER_OTLP_ENDPOINT: REPLAY.otlpEndpoint,
    });
    expect(replayEnvironment(base, [], { ...REPLAY, model: 'other' }).PARACLE_MODEL).toBe('other');
  });

  it('reaches a wildcard listener on loopback', () => {
    expect(otlpEndpointFor({ host: '0.0.0.0', port: 4318 })).toBe('http://127.0.0.1:4318');
    expect(otlpEndpointFor({ host: '::', port: 4318 })).toBe('http://[::1]:4318');
    expect(otlpEndpointFor({ host: '127.0.0.1', port: 43123 })).toBe('http://127.0.0.1:43123');
  });
});
