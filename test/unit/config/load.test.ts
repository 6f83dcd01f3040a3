import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfigFile, parseConfigText } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/lib/index.js';
import type { ConfigIssue } from '../../../src/lib/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));

async function issuesOf(name: string): Promise<readonly ConfigIssue[]> {
  const error: unknown = await loadConfigFile(fixture(name)).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.file).toBe(fixture(name));
  return configError.issues;
}

const pathsOf = (issues: readonly ConfigIssue[]): string[] => issues.map((issue) => issue.path);

describe('loadConfigFile: valid files', () => {
  it('reads every key of a full file and ignores other tools\' top-level keys', async () => {
    const config = await loadConfigFile(fixture('valid-full.yaml'));
    expect(config.runs).toMatchObject({ mode: 'full', max_runs_per_agent: 25, archive: false });
    expect(config.runs.traces.sample_rate).toBe(0);
    expect(config.runs.schedules.compression).toBe('0 */30 * * * *');
    expect(config.daemon.otlp_http).toBe('[::1]:0');
    expect(config.ingest.unrecognized).toBe('drop');
    expect(config.privacy).toMatchObject({ scrub_pii: false, scrub_secrets: true, replacement: 'hmac', hmac_key_env: 'MY_HMAC_KEY', allow_keys: ['ticket.id'] });
    expect(config.privacy.custom_patterns).toEqual([
      { name: 'employee_id', regex: 'EMP-\\d{6}' },
      { name: 'corp_user', regex: '(?P<user>[a-z]+)@corp\\.example' },
    ]);
    expect(config.access.tokens[0]?.agents).toBeUndefined();
    expect(config.access.tokens[1]).toMatchObject({ role: 'operator', agents: ['coder', 'reviewer'], workflows: ['release-*'] });
    expect(config.access).toMatchObject({ ingest_tokens_required: true, metrics_public: true, audit_retention_days: 400 });
    expect(config.daemon.tls).toEqual({ cert_file: '/etc/paracle/tls.crt', key_file: '/etc/paracle/tls.key', client_ca_file: null });
    expect(config.daemon.allowed_hosts).toEqual(['paracle.internal', 'paracle']);
    expect(config.replay.agents).toEqual({
      coder: { command: ['node', 'agents/coder.js'], timeout_s: 120 },
      'my.agent': { command: ['python3', '-m', 'agent'], timeout_s: 600 },
    });
    expect(config.replay.workflows).toEqual({ nightly: { command: ['node', 'workflows/nightly.js'], timeout_s: 3600 } });
    expect(config.pricing.data_file).toBe('/opt/genai-prices/data.json');
    expect(config).not.toHaveProperty('project');
  });

  it('treats an empty paracle_config as all defaults', async () => {
    expect(await loadConfigFile(fixture('minimal.yaml'))).toEqual(defaultConfig());
  });

  it('treats empty sections as their defaults', async () => {
    const config = await loadConfigFile(fixture('empty-sections.yaml'));
    expect(config.runs.mode).toBe('lite');
    expect(config.runs.schedules).toEqual(defaultConfig().runs.schedules);
    expect(config.privacy.encryption).toEqual(defaultConfig().privacy.encryption);
    expect(config.replay.agents).toEqual({});
    expect(config.replay.workflows).toEqual({});
  });

  it('returns a deeply frozen config', async () => {
    const config = await loadConfigFile(fixture('valid-full.yaml'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.runs.schedules)).toBe(true);
    expect(Object.isFrozen(config.access.tokens)).toBe(true);
    expect(Object.isFrozen(config.access.tokens[1]?.agents)).toBe(true);
    expect(Object.isFrozen(config.replay.agents['coder']?.command)).toBe(true);
    expect(() => {
      (config.runs as { mode: string }).mode = 'lite';
    }).toThrow(TypeError);
  });
});

describe('loadConfigFile: every problem, with its path', () => {
  it('reports unknown keys at every depth, each at its own path', async () => {
    const issues = await issuesOf('unknown-keys.yaml');
    expect(new Set(pathsOf(issues))).toEqual(
      new Set([
        'paracle_config.colour',
        'paracle_config.runs.retention_day',
        'paracle_config.runs.traces.sample_ratio',
        'paracle_config.access.tokens[0].expires',
        'paracle_config.replay.agents.coder.env',
      ]),
    );
    expect(issues).toContainEqual({ path: 'paracle_config.colour', message: 'unknown key "colour"' });
  });

  it('names the allowed values of a bad enum', async () => {
    expect(await issuesOf('bad-enum.yaml')).toEqual([
      { path: 'paracle_config.runs.mode', message: 'must be one of lite, standard, full, got "max"' },
      { path: 'paracle_config.ingest.unrecognized', message: 'must be one of agent, drop, got "keep"' },
      {
        path: 'paracle_config.access.tokens[0].role',
        message: 'must be one of viewer, analyst, operator, admin, ingest, got "superuser"',
      },
    ]);
  });

  it('rejects expressions node-cron would not schedule', async () => {
    expect(await issuesOf('bad-cron.yaml')).toEqual([
      { path: 'paracle_config.runs.schedules.retention', message: 'must be a cron expression, got "every hour"' },
      { path: 'paracle_config.runs.schedules.archival', message: 'must be a cron expression, got "61 * * * *"' },
    ]);
  });

  it('rejects token hashes that are not 64 lowercase hex, without echoing them', async () => {
    const issues = await issuesOf('bad-token-sha.yaml');
    expect(pathsOf(issues)).toEqual(['paracle_config.access.tokens[0].sha256', 'paracle_config.access.tokens[1].sha256']);
    for (const issue of issues) expect(issue.message).not.toContain('my-secret-token');
  });

  it('reports each custom pattern that is not RE2 syntax, matches empty text or is badly named, by its index', async () => {
    const issues = await issuesOf('bad-regex.yaml');
    expect(pathsOf(issues)).toEqual([
      'paracle_config.privacy.custom_patterns[1].regex',
      'paracle_config.privacy.custom_patterns[2].regex',
      'paracle_config.privacy.custom_patterns[3].regex',
      'paracle_config.privacy.custom_patterns[4].regex',
      'paracle_config.privacy.custom_patterns[5].name',
      'paracle_config.privacy.custom_patterns[6].name',
    ]);
    expect(issues[0]?.message).toMatch(/^is not RE2 syntax \(look-around and backreferences are not supported\): missing closing \)/);
    expect(issues[1]?.message).toMatch(/^is not RE2 syntax/);
    expect(issues[2]?.message).toBe('must not be empty: an empty pattern matches everywhere');
    expect(issues[3]?.message).toMatch(/^is not RE2 syntax/);
    expect(issues[5]?.message).toBe('duplicates the name of an earlier pattern');
  });

  it('rejects addresses that are not HOST:PORT', async () => {
    const issues = await issuesOf('bad-host-port.yaml');
    expect(pathsOf(issues)).toEqual([
      'paracle_config.daemon.otlp_http',
      'paracle_config.daemon.otlp_grpc',
      'paracle_config.daemon.http',
    ]);
    expect(issues[1]?.message).toBe(
      'must be HOST:PORT with a port from 0 to 65535 (IPv6 as [::1]:4318), got "::1:4317"',
    );
  });

  it('reports wrong types together, whatever their depth', async () => {
    expect(await issuesOf('wrong-types.yaml')).toEqual([
      { path: 'paracle_config.runs.dir', message: 'must be a string, got 5' },
      { path: 'paracle_config.runs.retention_days', message: 'must be a positive integer, got "30"' },
      { path: 'paracle_config.runs.max_runs_per_agent', message: 'must be a positive integer or null, got 2.5' },
      { path: 'paracle_config.runs.archive', message: 'must be true or false, got "yes"' },
      { path: 'paracle_config.runs.traces.sample_rate', message: 'must be a number from 0 to 1, got 1.5' },
      { path: 'paracle_config.ingest', message: 'must be a mapping, got 100' },
      { path: 'paracle_config.access.tokens', message: 'must be a list, got a mapping' },
      { path: 'paracle_config.replay.agents.coder.command', message: 'must be a list, got "node coder.js"' },
      { path: 'paracle_config.replay.agents.coder.timeout_s', message: 'must be a positive number, got -1' },
    ]);
  });
});

describe('loadConfigFile: the file and the document', () => {
  it('reports YAML syntax errors with line:column', async () => {
    const issues = await issuesOf('yaml-syntax-error.yaml');
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path).toBe('(yaml)');
      expect(issue.message).toMatch(/^line \d+:\d+: \S/);
      expect(issue.message).not.toContain('\n');
    }
  });

  it('rejects duplicate keys as a YAML error', async () => {
    expect(await issuesOf('duplicate-key.yaml')).toEqual([
      { path: '(yaml)', message: 'line 4:5: Map keys must be unique' },
    ]);
  });

  it('requires a paracle_config section', async () => {
    const issues = await issuesOf('missing-paracle-config.yaml');
    expect(pathsOf(issues)).toEqual(['paracle_config']);
    expect(issues[0]?.message).toMatch(/^is missing/);
  });

  it('requires the document to be a mapping', async () => {
    expect(pathsOf(await issuesOf('not-a-mapping.yaml'))).toEqual(['(yaml)']);
  });

  it('turns a missing file into a ConfigError naming it', async () => {
    const path = fixture('does-not-exist.yaml');
    await expect(loadConfigFile(path)).rejects.toMatchObject({
      file: path,
      issues: [{ path: '(file)', message: 'cannot be read: no such file' }],
    });
  });

  it('turns a directory into a ConfigError', async () => {
    await expect(loadConfigFile(fixture(''))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('parseConfigText', () => {
  it('treats an empty document as a missing section', () => {
    expect(() => parseConfigText('', null)).toThrow(/paracle_config: is missing/);
  });

  it('reports an unresolved alias as a YAML problem', () => {
    expect(() => parseConfigText('paracle_config: *nowhere\n', 'p.yaml')).toThrow(/^p\.yaml is invalid: \(yaml\): /);
  });
});
