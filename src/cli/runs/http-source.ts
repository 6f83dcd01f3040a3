import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { MaintenanceRequest } from '../../api/index.js';
import { ParacleError, describeError, errorCodeOfHttpStatus, errorOfCode, isErrorCode } from '../../lib/index.js';
import type { JobReport } from '../../maintenance/index.js';
import type { MaintenanceJob } from '../../model/index.js';
import { checkRelativePath, checkRunQuery, type RunDetail, type RunFileEntry, type RunFileKey, type RunQuery, type ShredResult, type StatsQuery } from '../../store/index.js';
import type { RunsSource, RunsPage, StatsAnswer } from './source.js';

/** Asks a daemon's `/api/v1` (INTERFACE.md §4), with a bearer token when one is given. */
export class HttpSource implements RunsSource {
  private readonly base: string;

  constructor(server: string, private readonly token: string | undefined) {
    const url = /^https?:\/\//i.test(server) ? server : `http://${server}`;
    this.base = url.replace(/\/+$/, '');
  }

  async list(query: RunQuery): Promise<RunsPage> {
    checkRunQuery(query);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (key === 'sinceMs' || key === 'untilMs') params.set(key.slice(0, -2), new Date(value as number).toISOString());
      else params.set(key, String(value));
    }
    return (await this.fetchJson(`/runs?${params}`)) as RunsPage;
  }

  async get(runId: string): Promise<RunDetail> {
    return (await this.fetchJson(`/runs/${encodeURIComponent(runId)}`)) as RunDetail;
  }

  async artifacts(runId: string): Promise<RunFileEntry[]> {
    return ((await this.fetchJson(`/runs/${encodeURIComponent(runId)}/artifacts`)) as { artifacts: RunFileEntry[] }).artifacts;
  }

  async readArtifact(runId: string, path: string): Promise<Readable> {
    const encoded = checkRelativePath(path, 'artifact path').map(encodeURIComponent).join('/');
    const response = await this.request('GET', `/runs/${encodeURIComponent(runId)}/artifacts/${encoded}`);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async readFile(runId: string, key: RunFileKey): Promise<Buffer> {
    const response = await this.request('GET', `/runs/${encodeURIComponent(runId)}/${key}`);
    return Buffer.from(await response.arrayBuffer());
  }

  async stats(query: StatsQuery): Promise<StatsAnswer> {
    const params = new URLSearchParams();
    if (query.by !== undefined) params.set('by', query.by);
    if (query.sinceMs !== undefined) params.set('since', new Date(query.sinceMs).toISOString());
    if (query.untilMs !== undefined) params.set('until', new Date(query.untilMs).toISOString());
    return (await this.fetchJson(`/stats?${params}`)) as StatsAnswer;
  }

  async setPinned(runId: string, pinned: boolean): Promise<{ run_id: string; pinned: boolean }> {
    const response = await this.request(pinned ? 'PUT' : 'DELETE', `/runs/${encodeURIComponent(runId)}/pin`);
    return (await response.json()) as { run_id: string; pinned: boolean };
  }

  async shred(runId: string): Promise<ShredResult> {
    return (await (await this.request('DELETE', `/runs/${encodeURIComponent(runId)}?shred=true`)).json()) as ShredResult;
  }

  async maintain(job: MaintenanceJob, request: MaintenanceRequest): Promise<JobReport> {
    const params = new URLSearchParams({ dry_run: String(request.dryRun) });
    if (request.olderThanMs !== undefined) params.set('older_than', `${request.olderThanMs / 1000}s`);
    return (await (await this.request('POST', `/maintenance/${job}?${params}`)).json()) as JobReport;
  }

  /** Asks the daemon to replay a run (`POST /api/v1/runs/{run_id}/replay`): the new run, pending. */
  async replay(runId: string, request: { model?: string; timeout_s?: number }): Promise<{ run_id: string; status: string }> {
    const response = await this.request('POST', `/runs/${encodeURIComponent(runId)}/replay`, request);
    return (await response.json()) as { run_id: string; status: string };
  }

  async close(): Promise<void> {}

  private async fetchJson(path: string): Promise<unknown> {
    return (await this.request('GET', path)).json();
  }

  /** One API call; an error answer becomes the error class its status stands for. */
  private async request(method: string, path: string, json?: unknown): Promise<Response> {
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    if (json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      const body = json === undefined ? undefined : JSON.stringify(json);
      response = await fetch(`${this.base}/api/v1${path}`, { method, headers, body });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new ParacleError('unavailable', `cannot reach the paracle daemon at ${this.base} (${describeError(cause ?? err)})`);
    }
    if (response.ok) return response;
    const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: string } } | null;
    const message = body?.error?.message ?? `the daemon answered ${response.status}`;
    // The reverse of the error catalogue (lib/errors.ts): the answer's code, else its status.
    const code = isErrorCode(body?.error?.code) ? body.error.code : (errorCodeOfHttpStatus(response.status) ?? 'server_error');
    if (response.status >= 500) throw errorOfCode(code, `the daemon answered ${response.status}: ${message}`);
    if (code === 'unauthenticated') throw errorOfCode(code, `the daemon refused the request: ${message} (give --token-file, PARACLE_TOKEN or --token)`);
    if (code === 'permission_denied') throw errorOfCode(code, `the daemon refused the request: ${message}`);
    throw errorOfCode(code, message);
  }
}
