import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../../src/config/index.js';
import { formatPath } from '../../../src/config/issues.js';
import { ConfigError } from '../../../src/lib/index.js';
import type { ConfigIssue } from '../../../src/lib/index.js';

function issuesOf(value: unknown): readonly ConfigIssue[] {
  try {
    validateConfig(value, null);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

const SHA = 'a'.repeat(64);

describe('formatPath', () => {
  it('uses dots for plain keys, [n] for indexes and quotes for other keys', () => {
    expect(formatPath([])).toBe('paracle_config');
    expect(formatPath(['access', 'tokens', 0, 'role'])).toBe('paracle_config.access.tokens[0].role');
    expect(formatPath(['replay', 'agents', 'my-agent'])).toBe('paracle_config.replay.agents.my-agent');
    expect(formatPath(['replay', 'agents', 'a.b'])).toBe('paracle_config.replay.agents["a.b"]');
  });
});

describe('validateConfig', () => {
  it('fills every default from nothing, null or an empty mapping', () => {
    expect(validateConfig(undefined, null)).toEqual(validateConfig({}, null));
    expect(validateConfig(null, null)).toEqual(defaultConfig());
    expect(defaultConfig().runs.max_runs_per_agent).toBeNull();
    expect(defaultConfig().ingest).toEqual({
      max_body_bytes: 16_777_216,
      max_spans_in_memory: 500_000,
      max_bytes_in_memory: 268_435_456,
      max_staged_upload_bytes: 1_073_741_824,
      limits: {
        attribute_count_limit: 4096,
        attribute_value_length_limit: null,
        attribute_value_depth_limit: 64,
        event_count_limit: 4096,
        link_count_limit: 1024,
        spans_per_trace_limit: 100_000,
      },
      unrecognized: 'agent',
      untraced_logs: 'drop',
      wal: { sync: 'adaptive', segment_bytes: 67_108_864 },
    });
  });

  it('caps attribute_value_depth_limit where writers can still follow a value', () => {
    expect(issuesOf({ ingest: { limits: { attribute_value_depth_limit: 257 } } })).toEqual([
      { path: 'paracle_config.ingest.limits.attribute_value_depth_limit', message: 'must be at most 256' },
    ]);
  });

  it('accepts its own output, so callers can re-validate a config with overrides applied', () => {
    const base = defaultConfig();
    const changed = validateConfig({ ...base, daemon: { ...base.daemon, http: '0.0.0.0:0' } }, null);
    expect(changed.daemon.http).toBe('0.0.0.0:0');
    expect(changed.runs).toEqual(base.runs);
  });

  it('returns deeply frozen defaults', () => {
    const config = defaultConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.privacy.encryption)).toBe(true);
    expect(Object.isFrozen(config.privacy.custom_patterns)).toBe(true);
  });

  it('rejects a block that is not a mapping', () => {
    expect(issuesOf(['runs'])).toEqual([{ path: 'paracle_config', message: 'must be a mapping, got a list' }]);
  });

  it('rejects duplicate token names and hashes', () => {
    const tokens = [
      { name: 'a', sha256: SHA, role: 'viewer' },
      { name: 'a', sha256: SHA, role: 'admin' },
    ];
    expect(issuesOf({ access: { tokens } })).toEqual([
      { path: 'paracle_config.access.tokens[1].name', message: 'duplicates the name of tokens[0]' },
      { path: 'paracle_config.access.tokens[1].sha256', message: 'duplicates the sha256 of tokens[0]' },
    ]);
  });

  it('requires a scope list, when given, to name at least one glob', () => {
    expect(issuesOf({ access: { tokens: [{ name: 'a', sha256: SHA, role: 'viewer', agents: [], workflows: [] }] } })).toEqual([
      { path: 'paracle_config.access.tokens[0].agents', message: 'must list at least one agent id glob ("*" for all); leave the key out instead' },
      { path: 'paracle_config.access.tokens[0].workflows', message: 'must list at least one workflow id glob ("*" for all); leave the key out instead' },
    ]);
  });

  it('refuses scopes on ingest tokens, which nothing could restrict', () => {
    const token = { name: 'agents', sha256: SHA, role: 'ingest', agents: ['*'], workflows: ['etl'] };
    const message = 'an ingest token cannot be scoped: OTLP and uploads are not restricted by agent or workflow';
    expect(issuesOf({ access: { tokens: [token] } })).toEqual([
      { path: 'paracle_config.access.tokens[0].agents', message },
      { path: 'paracle_config.access.tokens[0].workflows', message },
    ]);
    expect(validateConfig({ access: { tokens: [{ ...token, role: 'admin' }] } }, null).access.tokens[0]?.workflows).toEqual(['etl']);
  });

  it('checks daemon.tls and daemon.allowed_hosts', () => {
    expect(issuesOf({ daemon: { tls: { cert_file: 'a.crt' }, allowed_hosts: ['ok.example', 'http://x:1'] } })).toEqual([
      { path: 'paracle_config.daemon.tls.key_file', message: expect.any(String) as string },
      { path: 'paracle_config.daemon.allowed_hosts[1]', message: 'must be a host name without scheme or port, got "http://x:1"' },
    ]);
  });

  it('requires a replay command and a non-empty agent or workflow id', () => {
    expect(
      issuesOf({ replay: { agents: { '': { command: ['x'] }, coder: { command: [] } }, workflows: { nightly: { timeout_s: 5 } } } }),
    ).toEqual([
      { path: 'paracle_config.replay.agents', message: 'has an invalid key "": must not be empty' },
      {
        path: 'paracle_config.replay.agents.coder.command',
        message: 'must be a non-empty list: the program, then its arguments',
      },
      { path: 'paracle_config.replay.workflows.nightly.command', message: 'is required' },
    ]);
  });

  it('checks bounds and names', () => {
    expect(
      issuesOf({
        runs: { archive_retention_days: 0 },
        assembly: { grace_ms: 1.5 },
        privacy: { encryption: { key_env: '1KEY' } },
        pricing: { overrides: '' },
      }),
    ).toEqual([
      { path: 'paracle_config.runs.archive_retention_days', message: 'must be a positive integer, got 0' },
      { path: 'paracle_config.assembly.grace_ms', message: 'must be a positive integer, got 1.5' },
      { path: 'paracle_config.privacy.encryption.key_env', message: 'must be an environment variable name, got "1KEY"' },
      { path: 'paracle_config.pricing.overrides', message: 'must not be empty' },
    ]);
  });

  it('takes encryption at rest with a key file instead of the key variable', () => {
    const config = validateConfig({ privacy: { encryption: { enabled: true, key_file: '/etc/paracle/master.key' } } }, 'project.yaml');
    expect(config.privacy.encryption).toEqual({ enabled: true, key_env: 'PARACLE_ENCRYPTION_KEY', key_file: '/etc/paracle/master.key' });
  });

  it('summarises the issues in the error message', () => {
    expect(() => validateConfig({ runs: { mode: 'x', foo: 1 } }, 'project.yaml')).toThrow(
      'project.yaml is invalid: paracle_config.runs.mode: must be one of lite, standard, full, got "x" (and 1 more)',
    );
  });
});
