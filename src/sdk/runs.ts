import { context, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { parentContext, tracer } from './setup.js';

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** The LLM call of {@link llmCall}. */
export interface LlmCall {
  /** `gen_ai.provider.name`, e.g. `openai`. */
  provider: string;
  /** `gen_ai.request.model`. */
  model: string;
  /** `gen_ai.request.temperature`. */
  temperature?: number;
}

/** Tokens (and cost) of one LLM call, for {@link usage}. */
export interface Usage {
  /** Input tokens, cached ones included. */
  input: number;
  /** Output tokens, reasoning ones included. */
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  /** The cost the agent already knows, in USD (`paracle.cost_usd`); else the daemon estimates it. */
  costUsd?: number;
}

/** Options of {@link artifact}. */
export interface ArtifactOptions {
  mimeType?: string;
  /** True for a workspace file the agent changed (counted in `files_modified`). */
  modified?: boolean;
}

/**
 * Runs `fn` as one agent run: a span with `paracle.run.kind=agent`, `paracle.agent.id`,
 * `paracle.input` (the JSON of `input`) and, when it returns, `paracle.output` (the JSON of
 * what it returned); in a replay also `paracle.replay_of`. A throw marks the span failed
 * (its message becomes the run's `error`) and is rethrown.
 */
export function agentRun<T>(id: string, input: unknown, fn: () => Awaitable<T>): Promise<T> {
  return runSpan(`invoke_agent ${id}`, { 'paracle.run.kind': 'agent', 'paracle.agent.id': id, 'paracle.agent.name': id, ...replayOf() }, input, fn);
}

/** Runs `fn` as one workflow run (`paracle.run.kind=workflow`, `paracle.workflow.id`); as {@link agentRun}. */
export function workflowRun<T>(id: string, input: unknown, fn: () => Awaitable<T>): Promise<T> {
  return runSpan(`invoke_workflow ${id}`, { 'paracle.run.kind': 'workflow', 'paracle.workflow.id': id, 'paracle.workflow.name': id, ...replayOf() }, input, fn);
}

/**
 * Runs `fn` as one workflow step (`paracle.step.id`, input and output): `paracle.step.status`
 * is `completed`, or `failed` when it throws.
 */
export function step<T>(id: string, input: unknown, fn: () => Awaitable<T>): Promise<T> {
  return inSpan(`step ${id}`, { 'paracle.step.id': id, ...content('paracle.input', input) }, fn, (span, outcome) => {
    span.setAttribute('paracle.step.status', outcome.ok ? 'completed' : 'failed');
    if (outcome.ok) span.setAttributes(content('paracle.output', outcome.value));
  });
}

/** Runs `fn` as one LLM call (`gen_ai.operation.name=chat`); call {@link usage} inside it. */
export function llmCall<T>(call: LlmCall, fn: () => Awaitable<T>): Promise<T> {
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': call.provider,
    'gen_ai.request.model': call.model,
  };
  if (call.temperature !== undefined) attributes['gen_ai.request.temperature'] = call.temperature;
  return inSpan(`chat ${call.model}`, attributes, fn);
}

/**
 * Runs `fn` as one tool call (`gen_ai.operation.name=execute_tool`, `gen_ai.tool.name`, the
 * JSON of `args` and of the result).
 */
export function toolCall<T>(name: string, args: unknown, fn: () => Awaitable<T>): Promise<T> {
  const attributes: Attributes = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, ...content('gen_ai.tool.call.arguments', args) };
  return inSpan(`execute_tool ${name}`, attributes, fn, (span, outcome) => {
    if (outcome.ok) span.setAttributes(content('gen_ai.tool.call.result', outcome.value));
  });
}

/** Records the tokens (and cost) of the current LLM call on its span; nothing outside a span. */
export function usage(counts: Usage): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  const attributes: Attributes = { 'gen_ai.usage.input_tokens': counts.input, 'gen_ai.usage.output_tokens': counts.output };
  if (counts.cacheRead !== undefined) attributes['gen_ai.usage.cache_read.input_tokens'] = counts.cacheRead;
  if (counts.cacheWrite !== undefined) attributes['gen_ai.usage.cache_write.input_tokens'] = counts.cacheWrite;
  if (counts.reasoning !== undefined) attributes['gen_ai.usage.reasoning.output_tokens'] = counts.reasoning;
  if (counts.costUsd !== undefined) attributes['paracle.cost_usd'] = counts.costUsd;
  span.setAttributes(attributes);
}

/**
 * Attaches a file to the current span as a `paracle.artifact` event: text as
 * `artifact.content`, bytes as `artifact.content_base64`. It lands in the run's (or the
 * step's) `artifacts/`. Nothing happens outside a span.
 */
export function artifact(name: string, data: string | Uint8Array, options: ArtifactOptions = {}): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  const attributes: Attributes = { 'artifact.name': name };
  if (typeof data === 'string') attributes['artifact.content'] = data;
  else attributes['artifact.content_base64'] = Buffer.from(data).toString('base64');
  if (options.mimeType !== undefined) attributes['artifact.mime_type'] = options.mimeType;
  if (options.modified !== undefined) attributes['artifact.modified'] = options.modified;
  span.addEvent('paracle.artifact', attributes);
}

/** The model to use: `PARACLE_MODEL` when set (a replay asked for another model), else `fallback`. */
export function model(fallback: string): string {
  return process.env.PARACLE_MODEL || fallback;
}

type Outcome<T> = { ok: true; value: T } | { ok: false };

function runSpan<T>(name: string, attributes: Attributes, input: unknown, fn: () => Awaitable<T>): Promise<T> {
  return inSpan(name, { ...attributes, ...content('paracle.input', input) }, fn, (span, outcome) => {
    if (outcome.ok) span.setAttributes(content('paracle.output', outcome.value));
  });
}

/** Runs `fn` in a new active span; a throw is recorded, marks the span failed and is rethrown. */
async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => Awaitable<T>,
  finish?: (span: Span, outcome: Outcome<T>) => void,
): Promise<T> {
  const span = tracer().startSpan(name, { attributes }, parentContext());
  try {
    const value = await context.with(trace.setSpan(parentContext(), span), fn);
    finish?.(span, { ok: true, value });
    return value;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    finish?.(span, { ok: false });
    throw err;
  } finally {
    span.end();
  }
}

/** `key` = the JSON text of `value`; nothing for undefined. */
function content(key: string, value: unknown): Attributes {
  if (value === undefined) return {};
  // JSON.stringify gives undefined for a function or symbol: recorded as null.
  return { [key]: JSON.stringify(value) ?? 'null' };
}

function replayOf(): Attributes {
  const original = process.env.PARACLE_REPLAY_OF;
  return original ? { 'paracle.replay_of': original } : {};
}
