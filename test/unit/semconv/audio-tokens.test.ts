import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/model/index.js';
import { describeSpans, mapTrace } from '../../../src/semconv/index.js';
import { SpanKind, TraceBuilder } from '../../helpers/span-builder.js';
import type { AttributeInit } from '../../helpers/span-builder.js';

function map(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  return record;
}

/** One `chat` client span of `model` with 1000 in / 500 out plus the given attributes. */
function oneCall(model: string, extra: AttributeInit, provider = 'openai'): TraceBuilder {
  const b = new TraceBuilder();
  b.span(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, ...extra,
    },
  });
  return b;
}

// [who sends it, the attributes, expected audio parts]
const SPELLINGS: [string, AttributeInit, { audioInput: number; audioOutput: number; audioCacheRead: number }][] = [
  [
    'OTel GenAI modality subsets (semantic-conventions-genai)',
    { 'gen_ai.usage.audio.input_tokens': 600, 'gen_ai.usage.audio.output_tokens': 400, 'gen_ai.usage.audio.cache_read.input_tokens': 150 },
    { audioInput: 600, audioOutput: 400, audioCacheRead: 150 },
  ],
  [
    'Mastra 1.x chat span',
    { 'gen_ai.usage.audio_input_tokens': 600, 'gen_ai.usage.audio_output_tokens': 400 },
    { audioInput: 600, audioOutput: 400, audioCacheRead: 0 },
  ],
  [
    'Pydantic AI request span (usage details)',
    { 'gen_ai.usage.details.input_audio_tokens': 600, 'gen_ai.usage.details.output_audio_tokens': 400, 'gen_ai.usage.details.cache_audio_read_tokens': 150 },
    { audioInput: 600, audioOutput: 400, audioCacheRead: 150 },
  ],
];

describe('audio tokens: parts of input and output, counted once', () => {
  it.each(SPELLINGS)('%s', (_who, attributes, audio) => {
    const run = map(oneCall('gpt-realtime', attributes));
    expect(run.usage).toMatchObject({ input: 1000, output: 500, ...audio });
    expect(run.usageByModel).toEqual([expect.objectContaining({ model: 'gpt-realtime', usage: expect.objectContaining(audio) as unknown })]);
  });

  it('OpenInference LLM span (llm.token_count.*_details.audio, as the openai instrumentation 4.x sets them)', () => {
    const b = new TraceBuilder();
    b.span('ChatCompletion', {
      kind: SpanKind.INTERNAL,
      attributes: {
        'openinference.span.kind': 'LLM', 'llm.provider': 'openai', 'llm.model_name': 'gpt-audio-2025-08-28',
        'llm.token_count.prompt': 1000, 'llm.token_count.completion': 500, 'llm.token_count.total': 1500,
        'llm.token_count.prompt_details.audio': 600, 'llm.token_count.completion_details.audio': 400,
      },
    });
    const run = map(b);
    expect(run.usage).toMatchObject({ input: 1000, output: 500, audioInput: 600, audioOutput: 400, audioCacheRead: 0 });
  });

  it('Pydantic AI: the run span\'s aggregated audio does not add to the request span\'s (values of pydantic-ai tests/models/test_instrumented.py)', () => {
    const b = new TraceBuilder();
    const details = { input_audio_tokens: 10, cache_audio_read_tokens: 5, output_audio_tokens: 30, reasoning_tokens: 30 };
    const agent = b.span('invoke_agent weather', {
      endMs: 1000,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather',
        'gen_ai.aggregated_usage.input_tokens': 100, 'gen_ai.aggregated_usage.output_tokens': 200,
        ...Object.fromEntries(Object.entries(details).map(([k, v]) => [`gen_ai.aggregated_usage.details.${k}`, v])),
      },
    });
    b.span('chat gpt-4o', {
      parent: agent,
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-11-20',
        'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 200,
        'gen_ai.usage.cache_read.input_tokens': 20, 'gen_ai.usage.cache_creation.input_tokens': 10,
        ...Object.fromEntries(Object.entries(details).map(([k, v]) => [`gen_ai.usage.details.${k}`, v])),
      },
    });
    const run = map(b);
    expect(run.usage).toEqual({ input: 100, output: 200, cacheRead: 20, cacheWrite: 10, reasoning: 30, audioInput: 10, audioOutput: 30, audioCacheRead: 5 });
    expect(run.usageShares).toHaveLength(1);
  });

  it('two spans of one response count its audio once (the deeper one)', () => {
    const b = new TraceBuilder();
    const audio = { 'gen_ai.response.id': 'resp-1', 'gen_ai.usage.audio.input_tokens': 600, 'gen_ai.usage.audio.output_tokens': 400 };
    const outer = b.span('chat gpt-realtime', {
      endMs: 100,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-realtime', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, ...audio },
    });
    b.span('POST /v1/realtime', {
      parent: outer,
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-realtime', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, ...audio },
    });
    expect(map(b).usage).toMatchObject({ input: 1000, output: 500, audioInput: 600, audioOutput: 400 });
  });

  it('a span view shows the audio the span states', () => {
    const b = oneCall('gpt-realtime', { 'gen_ai.usage.audio_input_tokens': 600 });
    const [view] = describeSpans(b.spans);
    expect(view?.llm?.usage).toMatchObject({ input: 1000, audioInput: 600, audioOutput: 0 });
  });
});
