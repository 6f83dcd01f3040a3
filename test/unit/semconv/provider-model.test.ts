import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { AgentRunRecord } from '../../../src/model/index.js';
import { TraceBuilder } from '../../helpers/span-builder.js';
import type { AttributeInit } from '../../helpers/span-builder.js';
import { chatAttributes } from '../../fixtures/semconv/otel-genai.js';

function mapAgent(builder: TraceBuilder): AgentRunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record?.kind !== 'agent') throw new Error('expected an agent run');
  return record;
}

function oneCall(attributes: AttributeInit): AgentRunRecord {
  const builder = new TraceBuilder();
  builder.span('chat', { attributes: { 'gen_ai.operation.name': 'chat', ...attributes } });
  return mapAgent(builder);
}

describe('provider normalisation (CONVENTIONS.md §6)', () => {
  it.each([
    ['openai', 'openai'],
    ['OpenAI', 'openai'],
    ['anthropic', 'anthropic'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['azure-openai', 'azure.ai.openai'],
    ['az.ai.inference', 'azure.ai.inference'],
    ['vertex_ai', 'gcp.vertex_ai'],
    ['vertexai', 'gcp.vertex_ai'],
    ['google.vertex', 'gcp.vertex_ai'],
    ['gemini', 'gcp.gemini'],
    ['google.generative-ai', 'gcp.gemini'],
    ['bedrock', 'aws.bedrock'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['aws', 'aws.bedrock'],
    ['aws.bedrock', 'aws.bedrock'],
    ['mistralai', 'mistral_ai'],
    ['xai', 'x_ai'],
    ['gcp.gemini', 'gcp.gemini'],
  ])('%s → %s', (raw, expected) => {
    expect(oneCall({ 'gen_ai.provider.name': raw }).provider).toBe(expected);
  });

  it('reads the deprecated gen_ai.system when gen_ai.provider.name is absent', () => {
    expect(oneCall({ 'gen_ai.system': 'vertex_ai' }).provider).toBe('gcp.vertex_ai');
  });

  it('falls through a framework name to the next key', () => {
    expect(oneCall({ 'gen_ai.provider.name': 'langchain', 'gen_ai.system': 'mistralai' }).provider).toBe('mistral_ai');
    expect(oneCall({ 'gen_ai.provider.name': 'crewai' }).provider).toBeNull();
  });
});

describe('model and temperature (CONVENTIONS.md §6)', () => {
  it('prefers the response model over the request model', () => {
    expect(oneCall({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06' }).model).toBe('gpt-4o-2024-08-06');
    expect(oneCall({ 'gen_ai.request.model': 'gpt-4o' }).model).toBe('gpt-4o');
  });

  it('takes provider, model and temperature from the first leaf call, ignoring the agent span', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', {
      endMs: 100,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' },
    });
    builder.span('chat', {
      parent: root,
      startMs: 50,
      attributes: chatAttributes({ input: 1, output: 1, id: 'b' }, { 'gen_ai.response.model': 'late-model', 'gen_ai.request.temperature': 0.9 }),
    });
    builder.span('chat', {
      parent: root,
      startMs: 10,
      attributes: { ...chatAttributes({ input: 1, output: 1, id: 'a' }, { 'gen_ai.provider.name': 'anthropic', 'gen_ai.response.model': 'claude-3-5-haiku-20241022' }), 'gen_ai.request.temperature': 0 },
    });
    expect(mapAgent(builder)).toMatchObject({ provider: 'anthropic', model: 'claude-3-5-haiku-20241022', temperature: 0 });
  });

  it('lets the root\'s own temperature win', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', {
      endMs: 100,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.temperature': 0.7 },
    });
    builder.span('chat', { parent: root, attributes: chatAttributes({ input: 1, output: 1, id: 'a' }) });
    expect(mapAgent(builder).temperature).toBe(0.7);
  });

  it('uses the leaf of nested llm spans (a wrapper chat around the SDK call)', () => {
    const builder = new TraceBuilder();
    const wrapper = builder.span('chat', { endMs: 100, attributes: chatAttributes({ input: 5, output: 5, id: 'w' }, { 'gen_ai.response.model': 'wrapper-model' }) });
    builder.span('chat', { parent: wrapper, startMs: 1, attributes: chatAttributes({ input: 5, output: 5, id: 'w' }, { 'gen_ai.response.model': 'sdk-model' }) });
    expect(mapAgent(builder)).toMatchObject({ model: 'sdk-model', usage: { input: 5, output: 5 } });
  });

  it('reads the run root when there is no llm span', () => {
    const builder = new TraceBuilder();
    builder.span('invoke_agent A', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'bedrock', 'gen_ai.request.model': 'anthropic.claude-3-haiku-20240307-v1:0' } });
    expect(mapAgent(builder)).toMatchObject({ provider: 'aws.bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', temperature: null });
  });
});
