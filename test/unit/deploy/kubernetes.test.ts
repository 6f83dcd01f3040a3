import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { METRICS_PATH } from '../../../src/api/index.js';
import { defaultConfig, validateConfig } from '../../../src/config/index.js';
import { parseHostPort } from '../../../src/lib/index.js';
import { rawRequest } from '../../helpers/raw-http.js';
import { makeTempDir, removeTempDir, runCli, startTestDaemon, type TestDaemon } from '../../helpers/daemon.js';

// No cluster and no Collector binary run in CI: these tests check that the manifests agree
// with each other, with the Collector config and with the daemon, which is what breaks when
// a port, a route, a name or a config key moves.
const K8S_DIR = resolve('deploy/kubernetes');
const COLLECTOR_FILE = resolve('deploy/collector/collector.yaml');

interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    clusterIP?: string;
    ports?: { name: string; port: number; targetPort: string | number }[];
    maxUnavailable?: number;
  };
  resources?: string[];
}

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).map((doc) => {
    expect(doc.errors, file).toEqual([]);
    return doc.toJS() as Manifest;
  });
}

const files = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml'));
const manifests = files.filter((f) => f !== 'kustomization.yaml').flatMap(load);
const kustomization = load('kustomization.yaml')[0]!;

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
}

const daemon = find('Deployment', 'paracle');
const daemonPod = daemon.spec!.template!;
const daemonContainer = daemonPod.spec.containers[0]!;
const collector = find('Deployment', 'paracle-collector');
const collectorContainer = collector.spec!.template!.spec.containers[0]!;

/** The file a container's `--config` flag names, read from the ConfigMap mounted over its folder. */
function mountedConfig(pod: PodSpec, container: Container): string {
  const flag = container.args.findIndex((a) => a.startsWith('--config'));
  const path = container.args[flag]!.includes('=') ? container.args[flag]!.split('=')[1]! : container.args[flag + 1]!;
  const mount = container.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`))!;
  const volume = pod.volumes.find((v) => v.name === mount.name)!;
  const text = find('ConfigMap', volume.configMap!.name).data![path.slice(mount.mountPath.length + 1)];
  expect(text, path).toBeTypeOf('string');
  return text!;
}

const daemonConfigText = mountedConfig(daemonPod.spec, daemonContainer);
const daemonConfigBlock = (parse(daemonConfigText) as { paracle_config: Record<string, unknown> }).paracle_config;

interface CollectorConfig {
  extensions: Record<string, { token?: string; endpoint?: string }>;
  receivers: { otlp: { protocols: Record<string, { endpoint: string; auth?: { authenticator: string } }> } };
  exporters: {
    loadbalancing: {
      routing_key: string;
      protocol: { otlp: { headers: Record<string, string> } };
      resolver: { dns?: { hostname: string; port: number }; k8s?: { service: string; ports: number[] } };
    };
  };
  service: { extensions: string[]; pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
}

const collectorText = readFileSync(COLLECTOR_FILE, 'utf8');
const collectorConfig = parse(collectorText) as CollectorConfig;

/** A `${env:NAME}` reference of the Collector's config, resolved from the container's env. */
function collectorEnv(reference: string): string {
  const name = /^\$\{env:([A-Z_]+)\}$/.exec(reference)?.[1];
  expect(name, reference).toBeDefined();
  const variable = collectorContainer.env!.find((e) => e.name === name)!;
  expect(variable, name).toBeDefined();
  return variable.value ?? `secret:${variable.valueFrom!.secretKeyRef!.name}/${variable.valueFrom!.secretKeyRef!.key}`;
}

function selects(service: Manifest, pod: Manifest): boolean {
  const labels = pod.spec!.template!.metadata.labels;
  const selector = service.spec!.selector!.matchLabels ?? service.spec!.selector!;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function portNumber(container: Container, port: string | number): number {
  return typeof port === 'number' ? port : container.ports.find((p) => p.name === port)!.containerPort;
}

describe('deploy/kubernetes', () => {
  it('lists every manifest in kustomization.yaml, each a named object', () => {
    expect([...kustomization.resources!].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
    for (const m of manifests) {
      expect(m.apiVersion).toMatch(/^(v1|apps\/v1|policy\/v1)$/);
      expect(m.metadata.name).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it('mounts a daemon config that `paracle config check` accepts, with the shared backend and the daemon defaults as ports', async () => {
    const dir = await makeTempDir('paracle-k8s-');
    try {
      const file = join(dir, 'paracle.yaml');
      await writeFile(file, daemonConfigText);
      const result = await runCli(['config', 'check', file]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      await removeTempDir(dir);
    }
    const config = validateConfig(daemonConfigBlock, null);
    expect((config.runs as { backend?: string }).backend).toBe('shared');
    const defaults = defaultConfig().daemon;
    const byName = Object.fromEntries(daemonContainer.ports.map((p) => [p.name, p.containerPort]));
    for (const [name, key] of [['otlp-grpc', 'otlp_grpc'], ['otlp-http', 'otlp_http'], ['http', 'http']] as const) {
      const listener = parseHostPort(config.daemon[key]);
      expect(listener.host).toBe('0.0.0.0');
      expect(byName[name]).toBe(listener.port);
      expect(listener.port).toBe(parseHostPort(defaults[key]).port);
    }
    // The runs dir is a volume of its own (the WAL survives a container restart).
    const runsMount = daemonContainer.volumeMounts.find((m) => m.mountPath === config.runs.dir)!;
    expect(daemonPod.spec.volumes.find((v) => v.name === runsMount.name)!.emptyDir).toBeDefined();
  });

  it('takes every credential from a Secret, never a literal', () => {
    const env = Object.fromEntries((daemonContainer.env ?? []).map((e) => [e.name, e]));
    for (const name of ['PGPASSWORD', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(env[name]?.value).toBeUndefined();
      expect(env[name]?.valueFrom?.secretKeyRef?.name).toMatch(/^paracle-/);
    }
    expect(daemonConfigText).not.toMatch(/postgres:\/\/[^@\s]*:[^@\s]*@/);
    expect(collectorEnv(collectorConfig.extensions['bearertokenauth/agents']!.token!)).toMatch(/^secret:/);
  });

  describe('against a running daemon with the config map\'s access settings', () => {
    let d: TestDaemon;
    beforeAll(async () => {
      const { allowed_hosts } = daemonConfigBlock.daemon as { allowed_hosts: string[] };
      d = await startTestDaemon({ access: daemonConfigBlock.access as Record<string, unknown>, daemon: { allowed_hosts } });
    });
    afterAll(() => d?.stop());

    it('probes real routes on the http port, and the scrape annotations reach /metrics without a token', async () => {
      const http = portNumber(daemonContainer, 'http');
      const probes = [daemonContainer.startupProbe, daemonContainer.livenessProbe, daemonContainer.readinessProbe];
      expect(probes.map((p) => p!.httpGet.path)).toEqual(['/healthz', '/healthz', '/readyz']);
      for (const probe of probes) {
        expect(portNumber(daemonContainer, probe!.httpGet.port)).toBe(http);
        expect((await fetch(`${d.httpUrl}${probe!.httpGet.path}`)).status).toBe(200);
      }
      const annotations = daemonPod.metadata.annotations!;
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(annotations['prometheus.io/port'])).toBe(http);
      expect(annotations['prometheus.io/path']).toBe(METRICS_PATH);
      const metrics = await fetch(`${d.httpUrl}${METRICS_PATH}`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('paracle_');
      // The API itself still wants a token.
      expect((await fetch(`${d.httpUrl}/api/v1/runs`)).status).toBe(401);
    });

    it('answers the API Service by its name (allowed_hosts)', async () => {
      const api = find('Service', 'paracle');
      expect(selects(api, daemon)).toBe(true);
      expect(api.spec!.ports!.map((p) => portNumber(daemonContainer, p.targetPort))).toEqual([portNumber(daemonContainer, 'http')]);
      const { port } = new URL(d.httpUrl);
      const asked = async (host: string) => (await rawRequest(d.httpUrl, 'GET', '/api/v1/openapi.json', { headers: { Host: `${host}:${port}` } })).status;
      expect(await asked(api.metadata.name)).toBe(200);
      expect(await asked('elsewhere')).toBe(403);
    });
  });

  it('gives the Collector the config of deploy/collector verbatim, routing by trace id through the headless Service', () => {
    expect(mountedConfig(collector.spec!.template!.spec, collectorContainer)).toBe(collectorText);
    const { loadbalancing } = collectorConfig.exporters;
    expect(loadbalancing.routing_key).toBe('traceID');
    for (const signal of ['traces', 'logs']) {
      expect(collectorConfig.service.pipelines[signal]!.exporters).toEqual(['loadbalancing']);
      expect(collectorConfig.service.pipelines[signal]!.receivers).toEqual(['otlp']);
    }
    const headless = find('Service', collectorEnv(loadbalancing.resolver.dns!.hostname));
    expect(headless.spec!.clusterIP).toBe('None');
    expect(selects(headless, daemon)).toBe(true);
    const grpc = parseHostPort(validateConfig(daemonConfigBlock, null).daemon.otlp_grpc).port;
    expect(loadbalancing.resolver.dns!.port).toBe(grpc);
    expect(headless.spec!.ports!.map((p) => portNumber(daemonContainer, p.targetPort))).toEqual([grpc]);
  });

  it('sends the replicas the ingest token the Collector admits agents with, and publishes OTLP through a Service', () => {
    const token = collectorConfig.extensions['bearertokenauth/agents']!.token!;
    expect(collectorConfig.exporters.loadbalancing.protocol.otlp.headers.authorization).toBe(`Bearer ${token}`);
    for (const protocol of Object.values(collectorConfig.receivers.otlp.protocols)) {
      expect(protocol.auth?.authenticator).toBe('bearertokenauth/agents');
    }
    const tokens = validateConfig(daemonConfigBlock, null).access.tokens;
    expect(tokens.some((t) => t.role === 'ingest')).toBe(true);
    const otlp = find('Service', 'paracle-otlp');
    expect(selects(otlp, collector)).toBe(true);
    const receiverPorts = Object.values(collectorConfig.receivers.otlp.protocols).map((p) => parseHostPort(p.endpoint).port);
    expect(otlp.spec!.ports!.map((p) => portNumber(collectorContainer, p.targetPort)).sort()).toEqual(receiverPorts.sort());
    const health = parseHostPort(collectorConfig.extensions.health_check!.endpoint!).port;
    expect(portNumber(collectorContainer, collectorContainer.livenessProbe!.httpGet.port)).toBe(health);
    expect(collectorConfig.service.extensions).toContain('health_check');
  });

  it('keeps replicas through voluntary disruptions (PodDisruptionBudget)', () => {
    const pdb = find('PodDisruptionBudget', 'paracle');
    expect(selects(pdb, daemon)).toBe(true);
    expect(pdb.spec!.maxUnavailable).toBeLessThan(daemon.spec!.replicas!);
  });
});
