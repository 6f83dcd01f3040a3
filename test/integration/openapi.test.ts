import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/api/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

interface Operation {
  'x-paracle-role': string;
  summary: string;
  parameters?: { name: string; in: string; description: string }[];
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

// A value for each path parameter that routes, whether or not what it names exists.
const SAMPLES: Record<string, string> = {
  run_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  step_id: 'step-1',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  path: 'notes/a.txt',
  name: 'a.txt',
  job: 'retention',
};

let daemon: TestDaemon;
let doc: Document;
beforeAll(async () => {
  daemon = await startTestDaemon();
  const res = await fetch(`${daemon.httpUrl}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});
afterAll(() => daemon.stop());

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route of the listener with each of its methods and its role', () => {
    const missing: string[] = [];
    for (const route of daemon.daemon.routes) {
      for (const method of route.methods) {
        const op = doc.paths[openApiPath(route.path)]?.[method.toLowerCase()];
        if (!op) missing.push(`${method} ${route.path}`);
        else expect(op['x-paracle-role'], `${method} ${route.path}`).toBe(route.role ?? 'none');
      }
    }
    expect(missing, 'served but not in the document: give the Route a doc').toEqual([]);
  });

  it('documents only routes the listener has', () => {
    const served = new Set(daemon.daemon.routes.flatMap((r) => r.methods.map((m) => `${m} ${openApiPath(r.path)}`)));
    const extra = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`).filter((op) => !served.has(op)),
    );
    expect(extra, 'documented but not served').toEqual([]);
  });

  it('describes every parameter', () => {
    const undescribed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, op]) =>
        (op.parameters ?? []).filter((p) => !p.description).map((p) => `${method.toUpperCase()} ${path}: ${p.in} parameter ${p.name}`),
      ),
    );
    expect(undescribed, "describe it in the route's doc.params or PATH_PARAMS (src/api/openapi.ts)").toEqual([]);
  });

  it('names paths that the listener routes (no 405, no "no route")', async () => {
    const unrouted: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLES[name] ?? 'x');
      for (const method of Object.keys(item)) {
        // dry_run: the probe of POST /maintenance/{job} must change nothing.
        const res = await fetch(`${daemon.httpUrl}${url}?dry_run=true`, { method: method.toUpperCase() });
        const body = res.headers.get('content-type')?.startsWith('application/json') && method !== 'head' ? await res.text() : '';
        if (res.status === 405 || body.includes('"no route for')) unrouted.push(`${method.toUpperCase()} ${path} -> ${res.status}`);
      }
    }
    expect(unrouted).toEqual([]);
  });
});
