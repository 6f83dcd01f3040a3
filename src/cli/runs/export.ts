import { InvalidInputError, ParacleError, describeError } from '../../lib/index.js';
import { printJson, withSource, type RunsFlags } from './options.js';

/** Flags of `runs export`. */
export interface ExportFlags extends RunsFlags {
  otlp?: string;
}

/** `paracle runs export RUN_ID --otlp URL`: re-sends the stored trace.json to an OTLP/HTTP endpoint. */
export async function exportCommand(runId: string, flags: ExportFlags): Promise<void> {
  if (!flags.otlp) throw new InvalidInputError('--otlp URL is required');
  const endpoint = tracesEndpoint(flags.otlp);
  const body = await withSource(flags, (source) => source.readFile(runId, 'trace'));
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new ParacleError('unavailable', `cannot reach ${endpoint} (${describeError(cause ?? err)})`);
  }
  if (!response.ok) throw new ParacleError('export_failed', `${endpoint} answered ${response.status} to the export`);
  const spans = countSpans(body);
  if (flags.json) printJson({ run_id: runId, endpoint, status: response.status, spans });
  else process.stdout.write(`sent ${spans} span(s) of ${runId} to ${endpoint}\n`);
}

/** Like OTEL_EXPORTER_OTLP_ENDPOINT: a bare base URL gets `/v1/traces`; a full path is kept. */
function tracesEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError(`--otlp "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInputError(`--otlp "${text}" is not an http(s) URL`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

function countSpans(body: Buffer): number {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
    return (doc.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans ?? []).reduce((n, ss) => n + (ss.spans?.length ?? 0), 0);
  } catch {
    throw new ParacleError('corrupt_run_file', 'the run\'s trace.json is not OTLP/JSON');
  }
}
