import type { IncomingMessage } from 'node:http';
import { InvalidInputError, PayloadTooLargeError } from '../lib/index.js';

/** What `POST /api/v1/runs/{run_id}/replay` may ask for (INTERFACE.md §7). */
export interface ReplayRequest {
  model?: string;
  timeoutS?: number;
}

/** Starts replays: the daemon's replayer. */
export interface ReplayStarter {
  /** Creates the pending run and starts its command; resolves with the new run's id. */
  replay(runId: string, request: ReplayRequest): Promise<{ run_id: string; status: 'pending' }>;
}

/** The largest replay request body: two small fields. */
export const MAX_REPLAY_BODY_BYTES = 16 * 1024;
/** The longest replay timeout a request may ask for (about 23 days; a timer holds no more). */
export const MAX_REPLAY_TIMEOUT_S = 2_000_000;
const MAX_MODEL_CHARS = 256;
// eslint-disable-next-line no-control-regex -- the model goes into an environment variable
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Reads a replay request: an empty body or a JSON object `{"model"?: string, "timeout_s"?:
 * number}`. {@link InvalidInputError} for anything else; {@link PayloadTooLargeError} past
 * {@link MAX_REPLAY_BODY_BYTES} (the rest of the body is read and dropped, so the answer
 * reaches the client).
 */
export async function readReplayRequest(req: IncomingMessage): Promise<ReplayRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REPLAY_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_REPLAY_BODY_BYTES) throw new PayloadTooLargeError(MAX_REPLAY_BODY_BYTES);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidInputError('the request body is not valid JSON');
  }
  return replayRequestFrom(body);
}

/** A parsed replay request body as a {@link ReplayRequest}; null fields count as absent. */
export function replayRequestFrom(body: unknown): ReplayRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError('the request body must be a JSON object: {"model": "...", "timeout_s": N}, both optional');
  }
  const { model, timeout_s: timeoutS, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new InvalidInputError(`unknown field "${unknown}" in the request body; the fields are model and timeout_s`);
  const request: ReplayRequest = {};
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string' || model === '' || model.length > MAX_MODEL_CHARS || CONTROL_CHARS.test(model)) {
      throw new InvalidInputError(`model must be a non-empty string of at most ${MAX_MODEL_CHARS} characters without control characters`);
    }
    request.model = model;
  }
  if (timeoutS !== undefined && timeoutS !== null) {
    if (typeof timeoutS !== 'number' || !Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > MAX_REPLAY_TIMEOUT_S) {
      throw new InvalidInputError(`timeout_s must be a number of seconds above 0 and at most ${MAX_REPLAY_TIMEOUT_S}`);
    }
    request.timeoutS = timeoutS;
  }
  return request;
}
