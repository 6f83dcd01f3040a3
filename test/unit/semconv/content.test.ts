import { describe, expect, it } from 'vitest';
import { mapTrace } from '../../../src/semconv/index.js';
import type { RunRecord } from '../../../src/model/index.js';
import { keyValues, TraceBuilder } from '../../helpers/span-builder.js';
import type { AttributeInit } from '../../helpers/span-builder.js';
import { chatAttributes, codingAgent, FINAL_MESSAGES, USER_MESSAGES } from '../../fixtures/semconv/otel-genai.js';

function map(builder: TraceBuilder): RunRecord {
  const record = mapTrace(builder.trace(), { unrecognized: 'agent' });
  if (record === null) throw new Error('expected a run record');
  return record;
}

/** Input and output of a single root span with these attributes (and events). */
function rootContent(attributes: AttributeInit, events: { name: string; attributes: AttributeInit }[] = []): [unknown, unknown] {
  const builder = new TraceBuilder();
  builder.span('invoke_agent A', { attributes: { 'gen_ai.operation.name': 'invoke_agent', ...attributes }, events });
  const run = map(builder);
  return [run.input, run.output];
}

describe('input and output (CONVENTIONS.md §7)', () => {
  it('prefers paracle.input/output over gen_ai messages', () => {
    expect(
      rootContent({
        'paracle.input': '{"task":"fix"}',
        'paracle.output': '{"patch":"diff"}',
        'gen_ai.input.messages': '[]',
        'gen_ai.output.messages': '[]',
      }),
    ).toEqual([{ task: 'fix' }, { patch: 'diff' }]);
  });

  it('wraps text that is not JSON as {text}', () => {
    expect(rootContent({ 'paracle.input': 'fix the bug', 'paracle.output': 'done.' })).toEqual([{ text: 'fix the bug' }, { text: 'done.' }]);
  });

  it('keeps JSON scalars as JSON', () => {
    expect(rootContent({ 'paracle.input': '42', 'paracle.output': '"ok"' })).toEqual([42, 'ok']);
  });

  it('treats an empty string as absent', () => {
    expect(rootContent({ 'paracle.input': '', 'gen_ai.input.messages': '[{"role":"user"}]' })).toEqual([[{ role: 'user' }], null]);
  });

  it('reads tool call arguments and result', () => {
    expect(rootContent({ 'gen_ai.tool.call.arguments': '{"path":"a.ts"}', 'gen_ai.tool.call.result': 'contents' })).toEqual([
      { path: 'a.ts' },
      { text: 'contents' },
    ]);
  });

  it('reads the deprecated gen_ai.prompt / gen_ai.completion', () => {
    expect(rootContent({ 'gen_ai.prompt': 'Hi', 'gen_ai.completion': '{"a":1}' })).toEqual([{ text: 'Hi' }, { a: 1 }]);
  });

  it('rebuilds flattened gen_ai.prompt.{i}.* / gen_ai.completion.{i}.* lists in index order', () => {
    expect(
      rootContent({
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'Hello',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'Be brief.',
        'gen_ai.prompt.10.role': 'user',
        'gen_ai.prompt.10.content': 'Bye',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Hi!',
        'gen_ai.completion.0.finish_reason': 'stop',
      }),
    ).toEqual([
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
        { role: 'user', content: 'Bye' },
      ],
      [{ role: 'assistant', content: 'Hi!', finish_reason: 'stop' }],
    ]);
  });

  it('falls back to the gen_ai.client.inference.operation.details event', () => {
    expect(
      rootContent({}, [
        {
          name: 'gen_ai.client.inference.operation.details',
          attributes: { 'gen_ai.input.messages': '[{"role":"user"}]', 'gen_ai.output.messages': '[{"role":"assistant"}]' },
        },
      ]),
    ).toEqual([[{ role: 'user' }], [{ role: 'assistant' }]]);
  });

  it('keeps structured attribute values as they are', () => {
    expect(rootContent({ 'gen_ai.input.messages': [{ role: 'user', content: 'hi' }] })).toEqual([[{ role: 'user', content: 'hi' }], null]);
  });

  it('takes the run input from the first leaf call and the output from the leaf that ended last', () => {
    const run = map(codingAgent().builder);
    expect(run.input).toEqual(USER_MESSAGES);
    expect(run.output).toEqual(FINAL_MESSAGES);
  });

  it('skips leaf calls without output when picking the last answer', () => {
    const builder = new TraceBuilder();
    const root = builder.span('invoke_agent A', { endMs: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent' } });
    builder.span('chat', { parent: root, startMs: 1, endMs: 50, attributes: chatAttributes({ input: 1, output: 1, id: 'a' }, { 'gen_ai.output.messages': '"first"' }) });
    builder.span('chat', { parent: root, startMs: 2, endMs: 60, attributes: chatAttributes({ input: 1, output: 1, id: 'b' }) });
    expect(map(builder).output).toBe('first');
  });

  it('prefers the root\'s own input and output over the calls\'', () => {
    const { builder, root } = codingAgent();
    root.attributes.push(...keyValues({ 'paracle.input': '{"task":"x"}', 'paracle.output': 'y' }));
    expect(map(builder)).toMatchObject({ input: { task: 'x' }, output: { text: 'y' } });
  });
});
