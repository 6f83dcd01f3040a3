import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigFile } from '../../../src/config/index.js';
import { isLoopback, parseHostPort } from '../../../src/lib/index.js';

// No Docker engine runs in CI: these tests check that the files agree with each other and
// with the repository, which is what breaks when paths or ports move.
const COMPOSE_FILE = resolve('deploy/docker-compose.yaml');
const DEPLOY_DIR = dirname(COMPOSE_FILE);

interface Service {
  build?: { context: string; dockerfile: string };
  ports?: string[];
  volumes?: string[];
  command?: string[];
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const dockerfile = readFileSync('Dockerfile', 'utf8');
const instruction = (name: string): string[] =>
  [...dockerfile.replace(/\\\n\s*/g, ' ').matchAll(new RegExp(`^${name}\\s+(.+)$`, 'gm'))].map((m) => m[1]!);

/** The container config the image runs with (the path in the Dockerfile's CMD). */
async function containerConfig() {
  const cmd = JSON.parse(instruction('CMD')[0]!) as string[];
  const file = cmd[cmd.indexOf('--config') + 1]!;
  expect(file.startsWith('/app/')).toBe(true);
  return loadConfigFile(file.slice('/app/'.length));
}

/** Host path and container path of each bind mount of a service; named volumes are checked to exist. */
function mounts(service: Service): { host: string; target: string }[] {
  return (service.volumes ?? []).flatMap((spec) => {
    const [source, target] = spec.split(':') as [string, string];
    if (!source.startsWith('.')) {
      expect(compose.volumes).toHaveProperty(source);
      return [];
    }
    return [{ host: resolve(DEPLOY_DIR, source), target }];
  });
}

describe('Dockerfile', () => {
  it('builds in stages and runs as a non-root user with a health check on /healthz', async () => {
    expect(instruction('FROM').length).toBeGreaterThanOrEqual(2);
    expect(instruction('USER')).toEqual(['node']);
    const { daemon } = await containerConfig();
    const http = parseHostPort(daemon.http);
    expect(instruction('HEALTHCHECK')[0]).toContain(`http://127.0.0.1:${http.port}/healthz`);
  });

  it('exposes the listeners of config/container.yaml on 0.0.0.0, allowed by its access rule, and keeps runs on a volume', async () => {
    const config = await containerConfig();
    const listeners = [config.daemon.otlp_grpc, config.daemon.otlp_http, config.daemon.http].map(parseHostPort);
    expect(listeners.every((l) => !isLoopback(l.host))).toBe(true);
    expect(config.access.allow_unauthenticated || config.access.tokens.length > 0).toBe(true);
    expect(instruction('EXPOSE')[0]!.split(/\s+/).map(Number)).toEqual(listeners.map((l) => l.port));
    expect(JSON.parse(instruction('VOLUME')[0]!)).toEqual([config.runs.dir]);
  });
});

describe('deploy/docker-compose.yaml', () => {
  it('builds paracle from the repository and publishes its ports on loopback, runs on a volume', async () => {
    const paracle = compose.services.paracle!;
    expect(existsSync(resolve(DEPLOY_DIR, paracle.build!.context, paracle.build!.dockerfile))).toBe(true);
    const { daemon, runs } = await containerConfig();
    const ports = [daemon.otlp_grpc, daemon.otlp_http, daemon.http].map((a) => parseHostPort(a).port);
    expect(paracle.ports).toEqual(ports.map((p) => `127.0.0.1:${p}:${p}`));
    expect(paracle.volumes).toEqual([`paracle-runs:${runs.dir}`]);
  });

  it('points Prometheus at the paracle service with a config file from the repository', async () => {
    const prometheus = compose.services.prometheus!;
    const configFlag = prometheus.command!.find((c) => c.startsWith('--config.file='))!.split('=')[1];
    const mount = mounts(prometheus).find((m) => m.target === configFlag)!;
    expect(existsSync(mount.host)).toBe(true);
    const scrape = parse(readFileSync(mount.host, 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    const { daemon } = await containerConfig();
    expect(scrape.scrape_configs[0]!.static_configs[0]!.targets).toEqual([`paracle:${parseHostPort(daemon.http).port}`]);
    // Prometheus sends the target's name as Host: the API answers only names it allows.
    expect(daemon.allowed_hosts).toContain('paracle');
  });

  it('mounts the Grafana provisioning and dashboards where the provisioning files look', () => {
    const grafana = mounts(compose.services.grafana!);
    const provisioning = grafana.find((m) => m.target === '/etc/grafana/provisioning')!;
    expect(provisioning.host).toBe(resolve('grafana/provisioning'));
    const provider = parse(readFileSync('grafana/provisioning/dashboards/paracle.yaml', 'utf8')) as { providers: { options: { path: string } }[] };
    const dashboards = grafana.find((m) => m.target === provider.providers[0]!.options.path)!;
    expect(dashboards.host).toBe(resolve('grafana/dashboards'));
    const home = (compose.services.grafana as { environment: Record<string, string> }).environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(existsSync(resolve(dashboards.host, home.slice(dashboards.target.length + 1)))).toBe(true);
    const sources = parse(readFileSync('grafana/provisioning/datasources/prometheus.yaml', 'utf8')) as { datasources: { url: string }[] };
    expect(sources.datasources[0]!.url).toBe('http://prometheus:9090');
    expect(compose.services.prometheus!.ports).toEqual(['127.0.0.1:9090:9090']);
  });
});
