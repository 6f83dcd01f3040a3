import { describe, expect, it } from 'vitest';
import { buildTree } from '../../../src/semconv/tree.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

describe('buildTree attribute maps', () => {
  it('gives a span without attributes its resource attributes, and one with attributes both (its own winning)', () => {
    const b = new TraceBuilder({ resource: { 'service.name': 'svc', 'deployment.environment': 'prod' } });
    const root = b.span('root', { attributes: { 'service.name': 'own', 'gen_ai.agent.id': 'coder' } });
    b.span('bare', { parent: root, startMs: 1 });
    const tree = buildTree(b.spans, () => 'other')!;
    const [top, bare] = tree.byStart;
    expect(Object.fromEntries(bare!.attrs)).toEqual({ 'service.name': 'svc', 'deployment.environment': 'prod' });
    expect(bare!.own.size).toBe(0);
    expect(Object.fromEntries(top!.attrs)).toEqual({ 'service.name': 'own', 'deployment.environment': 'prod', 'gen_ai.agent.id': 'coder' });
    expect(Object.fromEntries(top!.own)).toEqual({ 'service.name': 'own', 'gen_ai.agent.id': 'coder' });
    expect(Object.fromEntries(top!.resource)).toEqual({ 'service.name': 'svc', 'deployment.environment': 'prod' });
  });
});

describe('buildTree links', () => {
  it('breaks a parent cycle at its earliest span, which takes its place among the tops by start', () => {
    const b = new TraceBuilder();
    const root = b.span('root', { startMs: 5 });
    b.span('leaf', { parent: root, startMs: 6 });
    // a → c → a: neither has a root above it; a starts first, so the cycle is broken there.
    b.span('a', { spanId: 'aaaaaaaaaaaaaaaa', parent: 'cccccccccccccccc', startMs: 1 });
    b.span('c', { spanId: 'cccccccccccccccc', parent: 'aaaaaaaaaaaaaaaa', startMs: 9 });
    const tree = buildTree(b.spans, () => 'other')!;
    expect(tree.tops.map((n) => n.name)).toEqual(['a', 'root']);
    expect(tree.preorder.map((n) => [n.name, n.depth])).toEqual([['root', 0], ['leaf', 1], ['a', 0], ['c', 1]]);
    const a = tree.byStart.find((n) => n.name === 'a')!;
    expect([a.parent, a.children.map((n) => n.name)]).toEqual([null, ['c']]);
  });

  it('gives each node its own children and logs; a log naming no span of the trace goes to the first top', () => {
    const b = new TraceBuilder();
    const root = b.span('root');
    const one = b.span('one', { parent: root, startMs: 1 });
    b.span('two', { parent: root, startMs: 2 });
    b.span('grandchild', { parent: one, startMs: 3 });
    const logs = [b.log({ span: one }), b.log({}), b.log({ span: one })];
    const tree = buildTree(b.spans, () => 'other', logs)!;
    const byName = new Map(tree.byStart.map((n) => [n.name, n]));
    expect(byName.get('root')!.children.map((n) => n.name)).toEqual(['one', 'two']);
    expect(byName.get('one')!.children.map((n) => n.name)).toEqual(['grandchild']);
    expect(byName.get('two')!.children).toEqual([]);
    expect(byName.get('grandchild')!.children).toEqual([]);
    expect(byName.get('one')!.logs).toEqual([logs[0], logs[2]]);
    expect(byName.get('root')!.logs).toEqual([logs[1]]);
    expect(byName.get('two')!.logs).toEqual([]);
  });

  it('keeps the first span of an id sent twice', () => {
    const b = new TraceBuilder();
    b.span('first', { spanId: '0123456789abcdef' });
    b.span('again', { spanId: '0123456789abcdef', startMs: 1 });
    expect(buildTree(b.spans, () => 'other')!.byStart.map((n) => n.name)).toEqual(['first']);
  });
});
