import type { Transform } from 'node:stream';
import { PayloadTooLargeError } from '../lib/index.js';
import { receiveArtifact, type RunFileKey, type RunStore } from '../store/index.js';
import type { MaintenanceJob } from '../model/index.js';
import { maintenanceRequestFrom, runQueryFrom, statsQueryFrom, type MaintenanceRequest } from './query.js';
import { sendJson, sendStream } from './respond.js';
import type { Route, RouteRequest } from './router.js';

/** Runs a maintenance job now and answers with its report (the daemon's scheduler). */
export interface MaintenanceRunner {
  run(job: MaintenanceJob, request: MaintenanceRequest): Promise<unknown>;
}

/**
 * Scrubs an artifact upload before it is stored (INTERFACE.md §8): its name, and its bytes
 * while they stream to the file.
 */
export interface UploadScrubber {
  name(name: string): string;
  content(): Transform;
}

/** What the `/api/v1` routes work with. */
export interface RunsApiOptions {
  store: RunStore;
  /** `POST /api/v1/maintenance/{job}`; without it the route is not served. */
  maintenance?: MaintenanceRunner;
  /** Largest artifact upload accepted, in bytes. */
  maxArtifactBytes: number;
  /** Privacy: uploads are stored as sent without it. */
  scrubUpload?: UploadScrubber;
  now?: () => number;
}

const CONTENT_TYPES: Readonly<Record<RunFileKey, string>> = {
  input: 'application/json',
  output: 'application/json',
  trace: 'application/json',
  logs: 'text/plain; charset=utf-8',
};
const GET = ['GET', 'HEAD'] as const;

/** The `/api/v1` routes of INTERFACE.md §4 for runs, stats, maintenance and artifact uploads. */
export function runsRoutes(options: RunsApiOptions): Route[] {
  const { store } = options;
  const now = options.now ?? Date.now;
  const runFile = (key: RunFileKey): Route => ({
    methods: GET,
    path: `/api/v1/runs/{run_id}/${key}`,
    role: 'analyst',
    runParam: 'run_id',
    handle: async ({ res, params }) => sendStream(res, await store.openFile(params.run_id!, key), CONTENT_TYPES[key]),
  });
  const stepFile = (key: 'input' | 'output'): Route => ({
    methods: GET,
    path: `/api/v1/runs/{run_id}/steps/{step_id}/${key}`,
    role: 'analyst',
    runParam: 'run_id',
    handle: async ({ res, params }) => sendStream(res, await store.openFile(params.run_id!, key, params.step_id), CONTENT_TYPES[key]),
  });
  const routes: Route[] = [
    {
      methods: GET,
      path: '/api/v1/runs',
      role: 'viewer',
      handle: async ({ res, query }) => {
        const page = store.list(runQueryFrom(query, now()));
        sendJson(res, 200, { runs: page.runs, next_cursor: page.nextCursor });
      },
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}',
      role: 'viewer',
      runParam: 'run_id',
      handle: async ({ res, params }) => sendJson(res, 200, await store.get(params.run_id!)),
    },
    runFile('input'),
    runFile('output'),
    runFile('trace'),
    runFile('logs'),
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/artifacts',
      role: 'analyst',
      runParam: 'run_id',
      handle: async ({ res, params }) => sendJson(res, 200, { run_id: params.run_id, artifacts: await store.artifacts(params.run_id!) }),
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/artifacts/{path*}',
      role: 'analyst',
      runParam: 'run_id',
      handle: async ({ res, params }) => sendStream(res, await store.openArtifact(params.run_id!, params.path!), 'application/octet-stream'),
    },
    stepFile('input'),
    stepFile('output'),
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/steps/{step_id}/artifacts',
      role: 'analyst',
      runParam: 'run_id',
      handle: async ({ res, params }) =>
        sendJson(res, 200, { run_id: params.run_id, artifacts: await store.artifacts(params.run_id!, params.step_id) }),
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/steps/{step_id}/artifacts/{path*}',
      role: 'analyst',
      runParam: 'run_id',
      handle: async ({ res, params }) =>
        sendStream(res, await store.openArtifact(params.run_id!, params.path!, params.step_id), 'application/octet-stream'),
    },
    {
      methods: ['PUT', 'DELETE'],
      path: '/api/v1/runs/{run_id}/pin',
      role: 'operator',
      runParam: 'run_id',
      handle: async ({ res, params, method }) => sendJson(res, 200, await store.setPinned(params.run_id!, method === 'PUT')),
    },
    {
      methods: GET,
      path: '/api/v1/stats',
      role: 'viewer',
      handle: async ({ res, query }) => sendJson(res, 200, store.stats(statsQueryFrom(query, now()))),
    },
    {
      methods: ['PUT'],
      path: '/api/v1/traces/{trace_id}/artifacts/{name*}',
      role: 'ingest',
      readsBody: true,
      handle: (request) => upload(request, options),
    },
  ];
  const { maintenance } = options;
  if (maintenance) {
    routes.push({
      methods: ['POST'],
      path: '/api/v1/maintenance/{job}',
      role: 'admin',
      handle: async ({ res, params, query }) => {
        const { job, request } = maintenanceRequestFrom(params.job!, query);
        sendJson(res, 200, await maintenance.run(job, request));
      },
    });
  }
  return routes;
}

async function upload({ req, res, params }: RouteRequest, options: RunsApiOptions): Promise<void> {
  const { store, maxArtifactBytes, scrubUpload } = options;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  // Refused before reading: the client learns at once instead of after sending it all.
  if (declared > maxArtifactBytes) throw new PayloadTooLargeError(maxArtifactBytes);
  const result = await receiveArtifact(store.runsDir, store.catalog, {
    traceId: params.trace_id!,
    name: scrubUpload ? scrubUpload.name(params.name!) : params.name!,
    body: req,
    maxBytes: maxArtifactBytes,
    transform: scrubUpload && (() => scrubUpload.content()),
  });
  sendJson(res, 201, result);
}
