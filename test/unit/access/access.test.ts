import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import {
  AccessControl,
  checkExposure,
  compileScope,
  hashToken,
  holdsRole,
  ingestTokensRequired,
  newToken,
  ROLES,
  TokenTable,
  bearerToken,
  type Role,
} from '../../../src/access/index.js';
import { globToRegExp, globToSqlite } from '../../../src/lib/index.js';

const loopback = { host: '127.0.0.1', port: 1 };
const network = { host: '10.0.0.5', port: 1 };
const token = (name: string, role: Role, extra: object = {}) => ({ name, role, sha256: hashToken(`secret-${name}`), ...extra });

describe('roles', () => {
  it('climbs the ladder viewer < analyst < operator < admin, keeps ingest apart, and gives admin every role', () => {
    const holds = (held: Role): Role[] => ROLES.filter((needed) => holdsRole(held, needed));
    expect(holds('viewer')).toEqual(['viewer']);
    expect(holds('analyst')).toEqual(['viewer', 'analyst']);
    expect(holds('operator')).toEqual(['viewer', 'analyst', 'operator']);
    expect(holds('admin')).toEqual(['viewer', 'analyst', 'operator', 'admin', 'ingest']);
    expect(holds('ingest')).toEqual(['ingest']);
  });
});

describe('tokens', () => {
  it('finds a token by its SHA-256 and nothing by a near miss', () => {
    const table = new TokenTable([token('a', 'viewer'), token('b', 'ingest')]);
    expect(table.lookup('secret-a')?.name).toBe('a');
    expect(table.lookup('secret-b')?.role).toBe('ingest');
    expect(table.lookup('secret-')).toBeNull();
    expect(table.lookup('secret-a ')).toBeNull();
    expect(table.hasIngest).toBe(true);
    expect(new TokenTable([token('a', 'operator')]).hasIngest).toBe(false);
    expect(new TokenTable([token('a', 'admin')]).hasIngest).toBe(true);
  });

  it('makes tokens with a recognisable prefix and 256 random bits, hashed as the config expects', () => {
    const made = newToken();
    expect(made).toMatch(/^paracle_[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(made);
    expect(hashToken('test')).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
  });

  it('reads only `Bearer <token>` from the Authorization header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe('scopes', () => {
  it('lets every run through without lists, and otherwise only the runs of matching agents and workflows', () => {
    expect(compileScope({}).filter).toBeNull();
    const scope = compileScope({ agents: ['cod*', 'review?'] });
    expect(scope.allows('agent', 'coder')).toBe(true);
    expect(scope.allows('agent', 'reviewer')).toBe(false);
    expect(scope.allows('agent', 'review1')).toBe(true);
    expect(scope.allows('workflow', 'coder')).toBe(false);
    expect(scope.filter).toEqual({ agents: ['cod*', 'review?'], workflows: [] });
    const both = compileScope({ agents: ['*'], workflows: ['release'] });
    expect(both.allows('agent', null)).toBe(true);
    expect(both.allows('workflow', 'release')).toBe(true);
    expect(both.allows('workflow', 'release-2')).toBe(false);
  });

  it('matches in JavaScript exactly what the index matches with SQLite GLOB', () => {
    const db = new Database(':memory:');
    const glob = db.prepare('SELECT ? GLOB ? AS m').pluck();
    const patterns = ['*', 'a*', '*b', 'a?c', 'a.c', '[x]*', 'a]b', '*?*', 'é?', '(a|b)', 'a\\*', '^a$', '', 'a+b'];
    const ids = ['', 'a', 'abc', 'a.c', 'axc', '[x]1', 'x1', 'a]b', 'éé', 'e', '(a|b)', 'a\\bc', 'a\\*', '^a$', 'a+b', 'aab', 'A', 'ab\nc'];
    for (const pattern of patterns) {
      for (const id of ids) {
        expect(globToRegExp(pattern).test(id), `${pattern} ~ ${JSON.stringify(id)}`).toBe(glob.get(id, globToSqlite(pattern)) === 1);
      }
    }
    db.close();
  });
});

describe('decisions', () => {
  const settings = (tokens: ReturnType<typeof token>[], ingest = false) => ({ tokens, metricsPublic: false, ingestTokensRequired: ingest });

  it('says missing, unknown or role, with the actor of the audit trail, and never echoes the token', () => {
    const access = new AccessControl(settings([token('grafana', 'viewer')]));
    expect(access.authorize(undefined, 'viewer').failure).toMatchObject({ reason: 'missing', actor: 'anonymous' });
    expect(access.authorize('Bearer nope', 'viewer').failure).toMatchObject({ reason: 'unknown', actor: 'unknown' });
    expect(access.authorize('Bearer nope', 'viewer').failure?.message).not.toContain('nope');
    expect(access.authorize('Bearer secret-grafana', 'analyst').failure).toMatchObject({ reason: 'role', actor: 'grafana' });
    expect(access.authorize('Bearer secret-grafana', 'viewer').principal?.name).toBe('grafana');
  });

  it('is open without tokens, and takes new settings for the next request', () => {
    const access = new AccessControl(settings([]));
    expect(access.authorize(undefined, 'admin').principal).toMatchObject({ name: 'anonymous', role: 'admin' });
    access.update(settings([token('ops', 'admin')]));
    expect(access.authorize(undefined, 'admin').failure?.reason).toBe('missing');
  });

  it('checks OTLP credentials only while ingest tokens are required', () => {
    const tokens = [token('agents', 'ingest'), token('grafana', 'viewer')];
    expect(new AccessControl(settings(tokens)).authorizeIngest(undefined).principal).toBeDefined();
    const required = new AccessControl(settings(tokens, true));
    expect(required.authorizeIngest(undefined).failure?.reason).toBe('missing');
    expect(required.authorizeIngest('Bearer secret-grafana').failure?.reason).toBe('role');
    expect(required.authorizeIngest('Bearer secret-agents').principal?.name).toBe('agents');
  });
});

describe('start-up rules', () => {
  const policy = (tokens: ReturnType<typeof token>[], allow = false, required: boolean | null = null) => ({ tokens, allowUnauthenticated: allow, ingestTokensRequired: required });
  const listeners = (otlp: typeof loopback, http = loopback) => ({ otlp_http: otlp, otlp_grpc: loopback, http });

  it('requires ingest tokens when an OTLP listener is off loopback, unless allowed or configured', () => {
    expect(ingestTokensRequired(listeners(loopback, network), policy([]))).toBe(false);
    expect(ingestTokensRequired(listeners(network), policy([]))).toBe(true);
    expect(ingestTokensRequired(listeners(network), policy([], true))).toBe(false);
    expect(ingestTokensRequired(listeners(network), policy([], true, true))).toBe(true);
    expect(ingestTokensRequired(listeners(loopback), policy([], false, true))).toBe(true);
  });

  it('refuses an open API off loopback, and required ingest tokens without one', () => {
    expect(() => checkExposure(listeners(loopback, network), policy([]))).toThrow(/10\.0\.0\.5:1 \(http\) without access tokens/);
    expect(() => checkExposure(listeners(loopback, network), policy([], true))).not.toThrow();
    expect(() => checkExposure(listeners(network), policy([token('v', 'viewer')]))).toThrow(/no token has role ingest or admin/);
    expect(() => checkExposure(listeners(network), policy([token('v', 'viewer'), token('a', 'admin')]))).not.toThrow();
    expect(() => checkExposure(listeners(network), policy([token('v', 'viewer')], false, false))).not.toThrow();
  });
});
