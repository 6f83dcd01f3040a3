import { describe, expect, it } from 'vitest';
import { diffOutputs, sameOutput } from '../../../src/cli/runs/output-diff.js';

const json = (value: unknown): string => JSON.stringify(value, null, 2);

describe('output comparison', () => {
  it('finds outputs the same exactly, or after JSON normalization', () => {
    expect(sameOutput(null, null)).toBe(true);
    expect(sameOutput('{"a":1,"b":[1,2]}', '{\n  "b": [1, 2],\n  "a": 1\n}')).toBe(true);
    expect(sameOutput('{"a":1}', '{"a":2}')).toBe(false);
    expect(sameOutput('{"b":[2,1]}', '{"b":[1,2]}')).toBe(false);
    expect(sameOutput(null, '{}')).toBe(false);
    expect(sameOutput('not json', 'not json')).toBe(true);
    expect(diffOutputs('{"a":1}', '{ "a": 1 }')).toEqual({ kind: 'same' });
  });

  it('diffs JSON objects key by key', () => {
    const a = json({ answer: 'short', sources: ['x', 'y'], meta: { model: 'small', cost: 1 } });
    const b = json({ answer: 'long', sources: ['x'], meta: { model: 'other', cost: 1, cached: true }, 'odd key': 1 });
    expect(diffOutputs(a, b)).toEqual({
      kind: 'keys',
      changes: [
        { path: 'answer', change: 'changed', a: 'short', b: 'long' },
        { path: 'sources[1]', change: 'removed', a: 'y' },
        { path: 'meta.model', change: 'changed', a: 'small', b: 'other' },
        { path: 'meta.cached', change: 'added', b: true },
        { path: '["odd key"]', change: 'added', b: 1 },
      ],
    });
  });

  it('diffs text line by line: a JSON string, or output kept as {"text": ...}', () => {
    const diff = diffOutputs(json({ text: 'one\ntwo\nthree' }), json({ text: 'one\n2\nthree' }));
    expect(diff).toEqual({ kind: 'lines', hunks: [{ header: '@@ -1,3 +1,3 @@', lines: [' one', '-two', '+2', ' three'] }] });
    expect(diffOutputs(json('a\nb'), json('a\nc'))).toMatchObject({ kind: 'lines' });
  });

  it('diffs outputs of different shapes, and deep ones, as lines of their JSON', () => {
    expect(diffOutputs(json({ a: 1 }), json([1]))).toMatchObject({ kind: 'lines' });
    expect(diffOutputs(null, json({ a: 1 }))).toMatchObject({ kind: 'lines' });
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    const result = diffOutputs(JSON.stringify(deep), JSON.stringify([deep]));
    expect(result.kind).toBe('lines');
  });
});
