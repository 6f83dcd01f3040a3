import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeTracesJson } from '../../src/codec/otlp/index.js';
import type { Span } from '../../src/model/index.js';
import { TraceBuilder } from './span-builder.js';

/** The replay commands of test/fixtures/replay. */
export const REPLAY_FIXTURES = {
  otlpAgent: resolve('test/fixtures/replay/otlp-agent.mjs'),
  echoAgent: resolve('test/fixtures/replay/echo-agent.mjs'),
  hang: resolve('test/fixtures/replay/hang.mjs'),
} as const;

/** Sends spans to a daemon's OTLP/HTTP receiver as OTLP/JSON, as an agent's exporter would. */
export async function postSpans(otlpUrl: string, spans: Span[]): Promise<void> {
  const response = await fetch(`${otlpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: encodeTracesJson(spans),
  });
  if (!response.ok) throw new Error(`OTLP export answered ${response.status}: ${await response.text()}`);
}

/**
 * The spans of one finished run with `input` (its JSON text goes into `paracle.input`), of
 * agent `id` (or workflow, with `kind`), a fresh trace id, and a status.
 */
export function runSpans(
  input: unknown,
  options: { id?: string; kind?: 'agent' | 'workflow'; status?: 'ok' | 'error'; replayOf?: string; output?: unknown } = {},
): Span[] {
  const kind = options.kind ?? 'agent';
  const b = new TraceBuilder({ traceId: randomBytes(16).toString('hex'), baseMs: Date.now() - 1000 });
  b.span(`run ${options.id ?? 'batchy'}`, {
    endMs: 200,
    status: options.status === 'error' ? 'error' : 'unset',
    attributes: {
      'paracle.run.kind': kind,
      [`paracle.${kind}.id`]: options.id ?? 'batchy',
      'paracle.input': JSON.stringify(input),
      'paracle.output': JSON.stringify(options.output ?? { ok: true }),
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      ...(options.replayOf === undefined ? {} : { 'paracle.replay_of': options.replayOf }),
    },
  });
  return b.spans;
}

/** `POST /api/v1/runs/{run_id}/replay`. */
export function requestReplay(httpUrl: string, runId: string, body?: unknown): Promise<Response> {
  return fetch(`${httpUrl}/api/v1/runs/${runId}/replay`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** `GET /api/v1/runs/{run_id}`: the run's metadata, or null while it does not exist. */
export async function getRun(httpUrl: string, runId: string): Promise<Record<string, unknown> | null> {
  const response = await fetch(`${httpUrl}/api/v1/runs/${runId}`);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET run answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Polls a run over the API until it is completed or failed; throws after `timeoutMs`. */
export async function waitForFinal(httpUrl: string, runId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(httpUrl, runId);
    if (run?.status === 'completed' || run?.status === 'failed') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} not final after ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await sleep(50);
  }
}

/** The ids of the runs the daemon lists (newest first), up to 1000. */
export async function listRunIds(httpUrl: string, query = ''): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${httpUrl}/api/v1/runs?limit=1000${query}`);
  return ((await response.json()) as { runs: Record<string, unknown>[] }).runs;
}
