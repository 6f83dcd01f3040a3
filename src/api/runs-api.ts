import type { Readable, Transform } from 'node:stream';
import type { Principal } from '../access/index.js';
import { InvalidInputError, PayloadTooLargeError } from '../lib/index.js';
import { receiveArtifact, shredStoredRun, type CallPricer, type RunFileKey, type RunStore, type SubjectFilter, type UploadStaging } from '../store/index.js';
import type { MaintenanceJob } from '../model/index.js';
import { maintenanceRequestFrom, runQueryFrom, statsQueryFrom, type MaintenanceRequest } from './query.js';
import { jsonContent, type QueryDoc, type ResponseDoc } from './openapi.js';
import { readReplayRequest, type ReplayStarter } from './replay-request.js';
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
  /** `POST /api/v1/runs/{run_id}/replay`; without it the route is not served. */
  replay?: ReplayStarter;
  /** Largest artifact upload accepted, in bytes. */
  maxArtifactBytes: number;
  /** Privacy: uploads are stored as sent without it. */
  scrubUpload?: UploadScrubber;
  /** Estimates the cost of model calls whose spans report none (the price book). */
  priceCall?: CallPricer;
  /** Bounds uploads waiting for their run (`ingest.max_staged_upload_bytes`); unbounded without. */
  staging?: UploadStaging;
  /** Told after each upload, so the trace's run takes it in and counts it (the run-store exporter). */
  artifactsChanged?: (traceId: string) => Promise<void>;
  now?: () => number;
}

const FILE_OF: Readonly<Record<RunFileKey, string>> = {
  input: 'input.json',
  output: 'output.json',
  trace: 'trace.json (OTLP/JSON)',
  logs: 'logs.txt',
};
const CONTENT_TYPES: Readonly<Record<RunFileKey, string>> = {
  input: 'application/json',
  output: 'application/json',
  trace: 'application/json',
  logs: 'text/plain; charset=utf-8',
};
const GET = ['GET', 'HEAD'] as const;

const TIME = 'a duration back from now (30s, 15m, 12h, 7d, 2w) or an ISO-8601 time';
/** The filters of `GET /api/v1/runs` (and `runs search`), as the OpenAPI document gives them. */
export const RUN_FILTERS: Readonly<Record<string, QueryDoc>> = {
  kind: { description: 'agent or workflow', schema: { enum: ['agent', 'workflow'] } },
  agent: { description: 'agent_id' },
  workflow: { description: 'workflow_id' },
  status: { description: 'the run status', schema: { enum: ['pending', 'running', 'completed', 'failed'] } },
  since: { description: `runs that started at or after: ${TIME}` },
  until: { description: `runs that started before: ${TIME}` },
  model: { description: 'a model the run used' },
  session: { description: 'session_id: a conversation, session or thread id' },
  trace_id: { description: 'the run written for this trace (a running run is renamed when an earlier root span arrives; this finds it)' },
  text: { description: "case-insensitive substring of the run's names, input and output (their first 64 KiB)" },
};
const files = (description: string): ResponseDoc => ({
  description,
  content: jsonContent({
    type: 'object',
    required: ['run_id', 'artifacts'],
    properties: { run_id: { type: 'string' }, artifacts: { type: 'array', items: { $ref: '#/components/schemas/FileEntry' } } },
  }),
});
const bytes = (description: string, type = 'application/octet-stream'): ResponseDoc => ({ description, content: { [type]: null } });

/** The `/api/v1` routes of INTERFACE.md §4 for runs, stats, maintenance and artifact uploads. */
export function runsRoutes(options: RunsApiOptions): Route[] {
  const { store } = options;
  const now = options.now ?? Date.now;
  const runFile = (key: RunFileKey): Route => ({
    methods: GET,
    path: `/api/v1/runs/{run_id}/${key}`,
    role: 'analyst',
    runParam: 'run_id',
    doc: { summary: `the run's ${FILE_OF[key]}`, responses: { 200: bytes(FILE_OF[key], CONTENT_TYPES[key]) } },
    audit: `run.read.${key}`,
    handle: async (request) => sendAudited(request, await store.openFile(request.params.run_id!, key), CONTENT_TYPES[key]),
  });
  const stepFile = (key: 'input' | 'output'): Route => ({
    methods: GET,
    path: `/api/v1/runs/{run_id}/steps/{step_id}/${key}`,
    role: 'analyst',
    runParam: 'run_id',
    doc: { summary: `a workflow step's ${FILE_OF[key]}`, responses: { 200: bytes(FILE_OF[key], CONTENT_TYPES[key]) } },
    audit: `run.read.step_${key}`,
    handle: async (request) => sendAudited(request, await store.openFile(request.params.run_id!, key, request.params.step_id), CONTENT_TYPES[key]),
  });
  const routes: Route[] = [
    {
      methods: GET,
      path: '/api/v1/runs',
      role: 'viewer',
      doc: {
        summary: 'runs, newest first; filters combine with AND',
        query: {
          ...RUN_FILTERS,
          limit: { description: 'runs per page (default 20)', schema: { type: 'integer', minimum: 0 } },
          cursor: { description: 'next_cursor of the previous page' },
        },
        responses: {
          200: {
            description: 'one page',
            content: jsonContent({
              type: 'object',
              required: ['runs', 'next_cursor'],
              properties: {
                runs: { type: 'array', items: { $ref: '#/components/schemas/RunMetadata' } },
                next_cursor: { type: ['string', 'null'], description: 'null on the last page' },
              },
            }),
          },
        },
      },
      handle: async ({ res, query, principal }) => {
        const page = store.list({ ...runQueryFrom(query, now()), ...scoped(principal) });
        sendJson(res, 200, { runs: page.runs, next_cursor: page.nextCursor });
      },
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}',
      role: 'viewer',
      runParam: 'run_id',
      doc: { summary: "a run's metadata, whether it is pinned, where it is, and its files", responses: { 200: { description: 'the run', content: jsonContent('RunDetail') } } },
      handle: async ({ res, params }) => sendJson(res, 200, await store.get(params.run_id!)),
    },
    {
      methods: ['DELETE'],
      path: '/api/v1/runs/{run_id}',
      role: 'admin',
      runParam: 'run_id',
      doc: {
        summary: "crypto-shreds a run (live or archived): destroys its data keys, then its files and index entry; needs shred=true",
        query: { shred: { description: 'must be true: the only deletion this route does', schema: { enum: ['true'] } } },
        responses: {
          200: {
            description: 'the run is shredded',
            content: jsonContent({
              type: 'object',
              properties: { run_id: { type: 'string' }, place: { enum: ['live', 'archive'] }, keys_destroyed: { type: 'array', items: { type: 'string' } } },
            }),
          },
        },
      },
      audit: 'run.shred',
      handle: async ({ res, params, query, audited }) => {
        if (query.get('shred') !== 'true') throw new InvalidInputError('DELETE /api/v1/runs/{run_id} shreds a run and needs ?shred=true');
        const result = await shredStoredRun(store, params.run_id!);
        await audited();
        sendJson(res, 200, result);
      },
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
      doc: { summary: "a run's artifacts", responses: { 200: files('the artifact files') } },
      audit: 'run.read.artifacts',
      handle: async ({ res, params, audited }) => {
        const artifacts = await store.artifacts(params.run_id!);
        await audited();
        sendJson(res, 200, { run_id: params.run_id, artifacts });
      },
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/artifacts/{path*}',
      role: 'analyst',
      runParam: 'run_id',
      doc: { summary: 'one artifact, as stored (compressed and archived ones transparently)', responses: { 200: bytes('its bytes') } },
      audit: 'run.read.artifact',
      handle: async (request) => sendAudited(request, await store.openArtifact(request.params.run_id!, request.params.path!), 'application/octet-stream'),
    },
    stepFile('input'),
    stepFile('output'),
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/steps/{step_id}/artifacts',
      role: 'analyst',
      runParam: 'run_id',
      doc: { summary: "a workflow step's artifacts", responses: { 200: files('the artifact files') } },
      audit: 'run.read.step_artifacts',
      handle: async ({ res, params, audited }) => {
        const artifacts = await store.artifacts(params.run_id!, params.step_id);
        await audited();
        sendJson(res, 200, { run_id: params.run_id, artifacts });
      },
    },
    {
      methods: GET,
      path: '/api/v1/runs/{run_id}/steps/{step_id}/artifacts/{path*}',
      role: 'analyst',
      runParam: 'run_id',
      doc: { summary: "one artifact of a workflow step", responses: { 200: bytes('its bytes') } },
      audit: 'run.read.step_artifact',
      handle: async (request) =>
        sendAudited(request, await store.openArtifact(request.params.run_id!, request.params.path!, request.params.step_id), 'application/octet-stream'),
    },
    {
      methods: ['PUT', 'DELETE'],
      path: '/api/v1/runs/{run_id}/pin',
      role: 'operator',
      runParam: 'run_id',
      doc: {
        summary: 'pins (PUT) or unpins (DELETE) a run: retention never removes a pinned run',
        responses: {
          200: {
            description: 'the run is (un)pinned',
            content: jsonContent({ type: 'object', properties: { run_id: { type: 'string' }, pinned: { type: 'boolean' } } }),
          },
        },
      },
      audit: ({ method }) => (method === 'PUT' ? 'run.pin' : 'run.unpin'),
      handle: async ({ res, params, method, audited }) => {
        const result = await store.setPinned(params.run_id!, method === 'PUT');
        await audited();
        sendJson(res, 200, result);
      },
    },
    {
      methods: GET,
      path: '/api/v1/stats',
      role: 'viewer',
      doc: {
        summary: 'counts, failures, tokens, cost and p50/p95 duration, per group',
        query: {
          by: { description: 'group by', schema: { enum: ['agent', 'workflow', 'model', 'status', 'project', 'session'] } },
          since: RUN_FILTERS.since!,
          until: RUN_FILTERS.until!,
        },
        responses: {
          200: {
            description: 'one row per group (one row `*` without `by`)',
            content: jsonContent({
              type: 'object',
              properties: {
                by: { type: ['string', 'null'] },
                groups: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      key: { type: ['string', 'null'] },
                      count: { type: 'integer' },
                      failures: { type: 'integer' },
                      tokens: { type: 'integer' },
                      cost_usd: { type: 'number' },
                      p50_duration_seconds: { type: ['number', 'null'] },
                      p95_duration_seconds: { type: ['number', 'null'] },
                    },
                  },
                },
              },
            }),
          },
        },
      },
      handle: async ({ res, query, principal }) => sendJson(res, 200, store.stats({ ...statsQueryFrom(query, now()), ...scoped(principal) })),
    },
    {
      methods: ['PUT'],
      path: '/api/v1/traces/{trace_id}/artifacts/{name*}',
      role: 'ingest',
      readsBody: true,
      doc: {
        summary: "uploads an artifact for a trace: into its run's artifacts/, or staged until the run is first written",
        params: { name: 'the artifact\'s path inside artifacts/, one or more segments' },
        body: { description: 'the file, streamed', content: { 'application/octet-stream': null } },
        responses: {
          201: {
            description: 'stored',
            content: jsonContent({
              type: 'object',
              properties: {
                trace_id: { type: 'string' },
                run_id: { type: ['string', 'null'], description: 'null while the upload is staged' },
                path: { type: 'string' },
                size: { type: 'integer' },
              },
            }),
          },
          413: { description: 'larger than 256 MiB, or the staged uploads are full', content: jsonContent('Error') },
        },
      },
      audit: 'artifact.upload',
      handle: (request) => upload(request, options),
    },
  ];
  const { maintenance, replay } = options;
  if (replay) {
    routes.push({
      methods: ['POST'],
      path: '/api/v1/runs/{run_id}/replay',
      role: 'operator',
      runParam: 'run_id',
      readsBody: true,
      doc: {
        summary: "re-runs the run's agent or workflow on its recorded input.json (docs/replay.md); the new run is pending at once",
        body: {
          description: 'optional; an empty body replays with the configured command and timeout',
          content: jsonContent({
            type: 'object',
            additionalProperties: false,
            properties: {
              model: { type: 'string', description: 'passed to the command as PARACLE_MODEL' },
              timeout_s: { type: 'number', description: "seconds before the replay fails and its process group is killed; replaces the config's timeout_s" },
            },
          }),
        },
        responses: {
          202: {
            description: 'the new run, pending, linked to this one by replay_of',
            content: jsonContent({
              type: 'object',
              required: ['run_id', 'status'],
              properties: { run_id: { type: 'string' }, status: { const: 'pending' } },
            }),
          },
          409: { description: 'no replay command is configured for the run\'s agent or workflow (the message names the key)', content: jsonContent('Error') },
          413: { description: 'a request body over 16 KiB', content: jsonContent('Error') },
          503: { description: 'the daemon is shutting down', content: jsonContent('Error') },
        },
      },
      audit: 'run.replay',
      handle: async ({ req, res, params, audited }) => {
        const request = await readReplayRequest(req);
        const started = await replay.replay(params.run_id!, request);
        await audited();
        sendJson(res, 202, started);
      },
    });
  }
  if (maintenance) {
    routes.push({
      methods: ['POST'],
      path: '/api/v1/maintenance/{job}',
      role: 'admin',
      doc: {
        summary: 'runs a maintenance job now and answers with its report',
        params: { job: 'retention, sampling, compression or archival' },
        query: {
          dry_run: { description: 'report what would be done, do nothing', schema: { enum: ['true', 'false', '1', '0'] } },
          older_than: { description: 'retention only: runs older than this duration leave (instead of after retention_days)' },
        },
        responses: {
          200: {
            description: 'the report',
            content: jsonContent({
              type: 'object',
              properties: { job: { type: 'string' }, dry_run: { type: 'boolean' }, actions: { type: 'array' }, recovered: { type: 'integer' }, failed: { type: 'integer' } },
            }),
          },
          404: { description: 'no such job', content: jsonContent('Error') },
          409: { description: 'another process holds the maintenance lease', content: jsonContent('Error') },
        },
      },
      audit: ({ params }) => `maintenance.${params.job!}`,
      handle: async ({ res, params, query, audited }) => {
        const { job, request } = maintenanceRequestFrom(params.job!, query);
        const report = await maintenance.run(job, request);
        await audited();
        sendJson(res, 200, report);
      },
    });
  }
  return routes;
}

/** The scope filter of a caller's token, as store query fields (none for a token that sees every run). */
export function scoped(principal: Principal): { subjects?: SubjectFilter } {
  return principal.scope.filter ? { subjects: principal.scope.filter } : {};
}

/** Streams what the store opened, once the request's audit line is on disk. */
async function sendAudited({ res, audited }: RouteRequest, stream: Readable, contentType: string): Promise<void> {
  // The stream may fail while the audit line is written (a file that does not decrypt
  // fails as soon as it is read): held here, it is answered as an error, never uncaught.
  let failed: unknown = null;
  const hold = (err: unknown): void => void (failed = err);
  stream.on('error', hold);
  try {
    await audited();
  } catch (err) {
    stream.destroy();
    throw err;
  } finally {
    stream.off('error', hold);
  }
  if (failed !== null) throw failed;
  await sendStream(res, stream, contentType);
}

async function upload({ req, res, params, audited }: RouteRequest, options: RunsApiOptions): Promise<void> {
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
  }, options.staging);
  // Once told, the trace's run has taken the upload in and counted it (or has no run yet).
  await options.artifactsChanged?.(result.trace_id);
  await audited();
  sendJson(res, 201, result);
}
